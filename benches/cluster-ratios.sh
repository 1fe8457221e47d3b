#!/usr/bin/env bash
# Bookings/s through the cluster engine, in one run on one machine:
#   redb      one node on the embedded store (the reference),
#   nats-1    one node over one nats-server (stream R1),
#   nats-3    three nodes over three clustered nats-servers (stream R3),
#             one load tool per node, their rates summed; each node holds
#             the leases of the venues its loader made,
#   nats-3-fw the same, each loader booking through the next node: every
#             booking is sent on to the venue's writer (one more hop).
# Every server and loader shares the machine's cores: read ratios, not
# absolute figures. Needs nats-server (Debian) and a release build:
#   cargo build --release --bins && benches/cluster-ratios.sh
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/booking-engine}
LOAD=${LOAD:-target/release/booking-load}
SECONDS_EACH=${SECONDS_EACH:-10}
VENUES=${VENUES:-300}
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
ROOT=$(mktemp -d)
PIDS=()
trap 'kill ${PIDS[@]} 2>/dev/null; wait 2>/dev/null; rm -rf $ROOT' EXIT
export BOOKING_ADMIN_EMAIL=admin@bench.example BOOKING_ADMIN_PASSWORD=bench-password-1
export BOOKING_JWT_SECRET=bench-secret-0123456789abcdef-0123456789abcdef
rate() { grep -oE '= [0-9]+ requests/s' | grep -oE '[0-9]+'; }

nats() { # nats N BASEPORT: N clustered servers on BASEPORT+i (routes +100)
  local n=$1 base=$2 routes="" i
  for i in $(seq 0 $((n - 1))); do routes="$routes nats-route://127.0.0.1:$((base + 100 + i)),"; done
  for i in $(seq 0 $((n - 1))); do
    cat > $ROOT/n$base-$i.conf <<CONF
server_name: n$i
listen: 127.0.0.1:$((base + i))
jetstream { store_dir: "$ROOT/js$base-$i" }
$( [ "$n" -gt 1 ] && echo "cluster { name: bench, listen: 127.0.0.1:$((base + 100 + i)), routes: [${routes%,}] }" )
CONF
    $NATS -c $ROOT/n$base-$i.conf > /dev/null 2>&1 &
    PIDS+=($!)
  done
}

node() { # node PORT [env...]: an engine node, waited for
  local port=$1; shift
  env BOOKING_RATE_LIMIT=off BOOKING_LISTEN=127.0.0.1:$port BOOKING_DATA_DIR=$ROOT/d$port \
    RUST_LOG=warn "$@" $BIN > /dev/null 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 300); do curl -fs http://127.0.0.1:$port/health > /dev/null && return; sleep 0.1; done
  echo "node on $port did not start" >&2; exit 1
}

spread() { # spread NAME CLIENTS PORT...: one loader per port, rates summed
  # (FORWARD=1: each loader makes its venues on the next port in the list)
  local name=$1 clients=$2 total=0 p r setup; shift 2
  local ports=("$@") i
  for i in "${!ports[@]}"; do
    p=${ports[$i]}
    setup=$p
    [ "${FORWARD:-0}" = 1 ] && setup=${ports[$(((i + 1) % ${#ports[@]}))]}
    $LOAD spread --url http://127.0.0.1:$p --setup-url http://127.0.0.1:$setup \
      --venues $VENUES --clients $clients \
      --seconds $SECONDS_EACH 2>/dev/null > $ROOT/load-$name-$p.txt &
  done
  wait $(jobs -p | tail -n $#) 2>/dev/null
  for p in "$@"; do
    r=$(rate < $ROOT/load-$name-$p.txt)
    echo "  $name via :$p: ${r:-0}/s, $(grep -h '^responses:' $ROOT/load-$name-$p.txt)" >&2
    total=$((total + ${r:-0}))
  done
  echo "$name $total"
}

node 19100
R=$(spread redb 64 19100 | awk '{print $2}')
echo "redb (1 node): $R bookings/s"

nats 1 14300
node 19200 BOOKING_STORE__ENGINE=nats BOOKING_NATS__URL=nats://127.0.0.1:14300
N1=$(spread nats1 64 19200 | awk '{print $2}')
echo "nats (1 node, 1 server, R1): $N1 bookings/s"

nats 3 14400
URLS=nats://127.0.0.1:14400,nats://127.0.0.1:14401,nats://127.0.0.1:14402
for i in 0 1 2; do
  node $((19300 + i)) BOOKING_STORE__ENGINE=nats BOOKING_NATS__REPLICAS=3 \
    BOOKING_NATS__URL=$(echo $URLS | tr ',' '\n' | tail -n +$((i + 1)) | head -1),$URLS
done
N3=$(spread nats3 22 19300 19301 19302 | awk '{print $2}')
echo "nats (3 nodes, 3 servers, R3): $N3 bookings/s"
F3=$(FORWARD=1 spread nats3fw 22 19300 19301 19302 | awk '{print $2}')
echo "nats (3 nodes, every booking sent on to its writer): $F3 bookings/s"
awk -v r=$R -v a=$N1 -v b=$N3 -v f=$F3 'BEGIN { printf "nats-1/redb %.2f  nats-3/nats-1 %.2f  forwarded/nats-3 %.2f\n", a/r, b/a, f/b }'
