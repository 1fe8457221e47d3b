#!/usr/bin/env bash
# Booking latency while backups run back to back, against the same server
# in the same run as without: fill ~85,000 bookings, then pace 1,000
# bookings/s for 8 s, first alone, then with `booking-engine backup` in a
# loop (each logs in, downloads the whole store and verifies it).
# Usage: cargo build --release --bins && ENGINE=redb|sled benches/backup-latency.sh
set -u
cd "$(dirname "$0")/.."
PORT=${PORT:-18181}
BIN=target/release/booking-engine
LOAD=target/release/booking-load
DIR=$(mktemp -d)
export BOOKING_ADMIN_EMAIL=admin@bench.example BOOKING_ADMIN_PASSWORD=bench-password-1
BOOKING_STORE__ENGINE=${ENGINE:-redb} BOOKING_RATE_LIMIT=off BOOKING_LISTEN=127.0.0.1:$PORT BOOKING_DATA_DIR=$DIR RUST_LOG=warn $BIN > /dev/null 2>&1 &
PID=$!
sleep 2
URL=http://127.0.0.1:$PORT
echo "== fill"
$LOAD spread --url $URL --seconds 15 --clients 64 | grep -E "bookings|throughput|ok" | head -5
du -sh $DIR
echo "== paced, no backup"
$LOAD spread --url $URL --seconds 8 --clients 16 --rate 1000 | grep -E "p50|p99|latency" | head -5
echo "== paced, backups in a loop"
( for i in $(seq 1 50); do BOOKING_LISTEN=127.0.0.1:$PORT $BIN backup --to $DIR/b.backup > /dev/null 2>&1; done ) &
BK=$!
sleep 0.5
$LOAD spread --url $URL --seconds 8 --clients 16 --rate 1000 | grep -E "p50|p99|latency" | head -5
kill $BK 2>/dev/null; wait $BK 2>/dev/null
ls -la $DIR/b.backup 2>/dev/null
kill $PID; wait $PID
rm -rf $DIR
