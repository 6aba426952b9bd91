#!/usr/bin/env bash
# Forwarding benchmark on loopback: a release hikyaku between a load generator and Postfix's
# smtp-sink, with NSD answering the destination's MX. Reports messages/second and latency.
#   bench/run-forwarding.sh [COUNT] [CONCURRENCY] [SIZE]
#   DKIM=1 bench/run-forwarding.sh ...   also signs every message with RSA-2048 and Ed25519 keys
# Every process it starts is stopped by PID at the end; only 127.0.0.1 is used.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-2000}; concurrency=${2:-20}; size=${3:-4096}
bin=$root/build/release/app/hikyaku
[ -x "$bin" ] || make -C "$root" build >/dev/null
work=$(mktemp -d /tmp/hikyaku-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
            if [ -f "$work/nsd.pid" ]; then
              nsd_pid=$(cat "$work/nsd.pid"); kill "$nsd_pid" 2>/dev/null || true
              for _ in $(seq 50); do kill -0 "$nsd_pid" 2>/dev/null || break; sleep 0.1; done
            fi
            rm -rf "$work"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
dns_port=$(free_port); sink_port=$(free_port); relay_port=$(free_port); proxy_port=$(free_port)

cat > "$work/bench.zone" <<ZONE
\$ORIGIN dest.bench.
\$TTL 3600
@  IN SOA ns hostmaster 1 3600 600 86400 60
@  IN NS ns
ns IN A 127.0.0.1
@  IN MX 10 mx
mx IN A 127.0.0.1
ZONE
# The senders' domain, so every message is authenticated as in production: load.py connects
# through a PROXY listener claiming 192.0.2.25, which the SPF record authorizes (a loopback
# client is never an SPF pass), and DMARC p=reject is aligned by SPF. smtp-source cannot send a
# PROXY header: it connects from 127.0.0.1 to the plain listener as local.example, whose DMARC
# policy is p=none, so its messages are checked (DKIM, DMARC; SPF is not asked for a local
# client) and forwarded.
cat > "$work/origin.zone" <<ZONE
\$ORIGIN origin.example.
\$TTL 3600
@  IN SOA ns hostmaster 1 3600 600 86400 60
@  IN NS ns
ns IN A 127.0.0.1
@  IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc IN TXT "v=DMARC1; p=reject"
local IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.local IN TXT "v=DMARC1; p=none"
ZONE
cat > "$work/nsd.conf" <<NSD
server:
  ip-address: 127.0.0.1@$dns_port
  port: $dns_port
  username: ""
  chroot: ""
  database: ""
  zonesdir: "$work"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  xfrdir: "$work"
  server-count: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "dest.bench"
  zonefile: "bench.zone"
zone:
  name: "origin.example"
  zonefile: "origin.zone"
NSD
/usr/sbin/nsd -c "$work/nsd.conf"

/usr/sbin/smtp-sink -u nobody -c 127.0.0.1:$sink_port 1024 > "$work/sink.log" 2>&1 &
pids+=($!)

dkim_conf=""
if [ "${DKIM:-0}" = 1 ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
  openssl genpkey -algorithm ED25519 -out "$work/ed.pem" 2>/dev/null
  dkim_conf=$(printf '[[dkim.key]]\ndomain = "fwd.hikyaku.bench"\nselector = "r"\nprivate_key = "%s"\n[[dkim.key]]\ndomain = "fwd.hikyaku.bench"\nselector = "e"\nalgorithm = "ed25519-sha256"\nprivate_key = "%s"\n' "$work/rsa.pem" "$work/ed.pem")
fi

cat > "$work/hikyaku.toml" <<CONF
[server]
hostname = "bench.hikyaku.test"
listen = ["127.0.0.1:$relay_port"]
proxy_listen = ["127.0.0.1:$proxy_port"]
trusted_proxies = ["127.0.0.1"]
max_connections_per_ip = 1000
[dns]
servers = ["127.0.0.1:$dns_port"]
trust_anchor_file = ""  # NSD serves unsigned zones and is not recursive
[relay]
port = $sink_port
helo_name = "bench.hikyaku.test"
[queue]
directory = "$work/spool"
[log]
level = "info"
$dkim_conf
[[domain]]
name = "hikyaku.bench"
[[domain.rule]]
address = "user"
forward = ["dest@dest.bench"]
CONF
"$bin" serve -c "$work/hikyaku.toml" 2> "$work/hikyaku.log" &
pids+=($!)
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$relay_port) 2>/dev/null && break; sleep 0.1; done

echo "== hikyaku $(git -C "$root" rev-parse --short HEAD) on $(nproc) cores: $count x ${size}B, $concurrency concurrent senders, DKIM signing ${DKIM:-0}"
echo "-- load.py (one message per connection, latency from connect to the DATA reply)"
/usr/bin/python3 "$root/bench/load.py" --port "$proxy_port" --proxy-from 192.0.2.25 --rcpt user@hikyaku.bench \
  --count "$count" --concurrency "$concurrency" --size "$size"
echo "-- smtp-source (Postfix's load tool)"
start=$(date +%s.%N)
/usr/sbin/smtp-source -s "$concurrency" -m "$count" -l "$size" -f load@local.origin.example \
  -t user@hikyaku.bench 127.0.0.1:$relay_port
end=$(date +%s.%N)
/usr/bin/python3 -c "import sys; c=$count; t=$end-$start; print(f'smtp-source: {c} messages in {t:.2f}s = {c/t:.0f} msg/s')"
sent=$(grep -c 'status=sent' "$work/hikyaku.log" || true)
reused=$(grep -c 'reused=yes' "$work/hikyaku.log" || true)
other=$(grep 'status=' "$work/hikyaku.log" | grep -vc 'status=sent' || true)
errors=$(grep -cE ' (error|critical):' "$work/hikyaku.log" || true)
echo "relay log: status=sent $sent (of $((2 * count)) sent in both runs), other outcomes $other," \
     "upstream connection reused $reused times, errors $errors"
