#!/usr/bin/env bash
# The load tool's three figures in one run against one fresh server:
# baseline (GET /health + GET /me), spread (bookings over 1,000 venues) and
# hot (bookings into one venue), with the server's bytes written to storage
# per acknowledged booking. Prints spread/baseline and hot/spread.
# Usage: cargo build --release --bins && ENGINE=redb|sled benches/load-ratios.sh
# BIN=... LOAD=... point at other builds (a "before" tree).
set -u
cd "$(dirname "$0")/.."
PORT=${PORT:-18182}
BIN=${BIN:-target/release/booking-engine}
LOAD=${LOAD:-target/release/booking-load}
SECONDS_EACH=${SECONDS_EACH:-10}
DIR=$(mktemp -d ${TMPBASE:+-p $TMPBASE})
export BOOKING_ADMIN_EMAIL=admin@bench.example BOOKING_ADMIN_PASSWORD=bench-password-1
BOOKING_STORE__ENGINE=${ENGINE:-redb} BOOKING_RATE_LIMIT=off BOOKING_LISTEN=127.0.0.1:$PORT \
  BOOKING_DATA_DIR=$DIR RUST_LOG=warn $BIN > /dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf $DIR' EXIT
URL=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -fs $URL/health > /dev/null && break; sleep 0.1; done
rate() { grep -oE '= [0-9]+ requests/s' | grep -oE '[0-9]+'; }
run() {
  local name=$1; shift
  echo "== $name" >&2
  $LOAD "$@" --url $URL --seconds $SECONDS_EACH 2>/dev/null | tee /tmp/load-$name.txt >&2
}
run baseline baseline --server-pid $PID --settle 0
run spread spread --venues 1000 --server-pid $PID --settle ${SETTLE:-6}
run hot hot --server-pid $PID --settle ${SETTLE:-6}
B=$(rate < /tmp/load-baseline.txt); S=$(rate < /tmp/load-spread.txt); H=$(rate < /tmp/load-hot.txt)
echo "baseline $B/s  spread $S/s  hot $H/s"
awk -v b=$B -v s=$S -v h=$H 'BEGIN { printf "spread/baseline %.2f  hot/spread %.2f\n", s/b, h/s }'
grep -h "per acknowledged booking" /tmp/load-spread.txt /tmp/load-hot.txt
for n in baseline spread hot; do echo "$n $(grep -h "server CPU" /tmp/load-$n.txt)"; done
