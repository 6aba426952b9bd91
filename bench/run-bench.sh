#!/usr/bin/env bash
# `make bench`: Hikyaku side by side with the Postfix stacks a self-hoster runs instead, in one
# run, with the same load for every relay (bench/smtp-load: SESSIONS sessions at once, one
# DKIM-signed 4 KiB message per connection, each opening with a PROXY header that claims a client
# in 192.0.2.0/24, which the author domain's SPF record authorises; its DMARC policy is p=reject).
# Everything runs in a private network namespace with only `lo` up and a private mount namespace
# (its own /dev/log and /etc/resolv.conf); every daemon is started here, tracked by PID and
# stopped at the end. Configurations (CONFIGS, in this order by default):
#   H               the harness alone: smtp-load -> smtp-sink
#   plain           hikyaku: SPF, DKIM verify, DMARC; no keys, no ARC, no SRS
#   full            hikyaku: plain + SRS + ARC sealing (RSA-2048) + DKIM RSA-2048 and Ed25519
#                   (and a run at half the rate it reached, for the latency target)
#   ed25519         hikyaku: full without ARC, one Ed25519 DKIM key
#   full-1core      full with the relay under `taskset -c 0` (full runs under `taskset -c 0,1`)
#   postfix         Postfix 3.7 as a plain virtual-alias forwarder
#   postfix-milters Postfix + postsrsd + OpenDKIM (verify) + OpenDMARC (SPF, DMARC) + OpenDKIM (sign)
#   postfix-rspamd  Postfix + postsrsd + rspamd (SPF, DKIM verify, DMARC, ARC seal, DKIM sign)
#   idle            IDLE_SESSIONS idle sessions held open against hikyaku full: its RSS
#   large           one LARGE_MIB MiB message through hikyaku full: its VmHWM growth
# Each throughput run: msg/s until the sink has every message, the relay's CPU per message (all
# its processes: utime+stime of the process trees, reaped children included), the peak of their
# summed RSS, end-of-DATA -> reply latency at the client and, for hikyaku, from its log (delay=,
# and delays=a: the checks, upstream time excluded) with the exact means of its /metrics
# histograms (the checks, connection setup and transmission stages).
# Environment: COUNT (5000: H, plain, postfix), SLOW_COUNT (2000: the others), SESSIONS (20),
# SIZE (4096), CONFIGS, PERF=1 (perf record of the runs named in PERF_CONFIGS, default full, with PERF_OPTS, default -F 999 -g), CRYPTO=0 (skip openssl speed),
# IDLE_SESSIONS (10000), LARGE_MIB (25), BENCH_OUT (results directory; default
# /tmp/hikyaku-bench/DATE). Run as root: `make bench`, or bench/run-bench.sh after `make build`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
self="$root/bench/run-bench.sh"

COUNT=${COUNT:-5000}
SLOW_COUNT=${SLOW_COUNT:-$(( COUNT < 2000 ? COUNT : 2000 ))}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
CONFIGS=${CONFIGS:-"H plain full ed25519 full-1core postfix postfix-milters postfix-rspamd idle large"}
PERF=${PERF:-0}
PERF_CONFIGS=${PERF_CONFIGS:-full}
PERF_OPTS=${PERF_OPTS:-}
CRYPTO=${CRYPTO:-1}
IDLE_SESSIONS=${IDLE_SESSIONS:-10000}
LARGE_MIB=${LARGE_MIB:-25}
export COUNT SLOW_COUNT SESSIONS SIZE CONFIGS PERF PERF_CONFIGS PERF_OPTS CRYPTO IDLE_SESSIONS LARGE_MIB

bin=$root/build/release/app/hikyaku
load=$root/build/bench/smtp-load
lib=$root/bench/benchlib.py
PY=/usr/bin/python3

if [ "${HIKYAKU_BENCH_INNER:-0}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "run-bench.sh: run as root (namespaces, Postfix, milters)" >&2; exit 1; }
  bash "$root/bench/deps.sh"
  [ -x "$bin" ] || make -C "$root" build
  mkdir -p "$root/build/bench"
  gcc -O2 -Wall -pthread -o "$load" "$root/bench/smtp-load.c"
  BENCH_OUT=${BENCH_OUT:-/tmp/hikyaku-bench/$(date -u +%Y%m%d-%H%M%S)}
  mkdir -p "$BENCH_OUT"
  export BENCH_OUT HIKYAKU_BENCH_INNER=1
  exec unshare --net --mount --propagation private -- "$self"
fi

# ---------------------------------------------------------------- inside the namespaces
OUT=$BENCH_OUT
work=$(mktemp -d /tmp/hikyaku-bench-run.XXXXXX)
chmod 755 "$work"  # the postfix, opendkim, _rspamd and nobody users reach their parts of it
pids=()            # "name:pid" of every daemon started here
postfix_dirs=()    # config directories of the Postfix instances started here
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

stop_pid() {  # name pid: TERM, up to 15 s, then KILL
  local name=$1 p=$2 i
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 150); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  log "$name ($p) did not stop: KILL"; kill -KILL "$p" 2>/dev/null || true
}
stop_postfix() {  # config dir
  local master; master=$(tr -dc 0-9 < "$1/../queue/pid/master.pid" 2>/dev/null || true)
  /usr/sbin/postfix -c "$1" stop >/dev/null 2>&1 || true
  [ -n "$master" ] && stop_pid postfix-master "$master"
  return 0
}
stop_all() {
  local e d
  for d in "${postfix_dirs[@]}"; do stop_postfix "$d"; done
  postfix_dirs=()
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do e=${pids[i]}; stop_pid "${e%%:*}" "${e##*:}"; done
  pids=()
}
stop_strays() {  # anything still in this network namespace was started by this run
  local ns p pp
  ns=$(readlink /proc/$$/ns/net)
  for p in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$p" = $$ ] && continue
    [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] || continue
    pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || true)
    [ "$pp" = $$ ] && continue  # this script's own pipelines
    log "stray process $p ($(cat "/proc/$p/comm" 2>/dev/null)): stopping it"
    stop_pid stray "$p"
  done
}
cleanup() {
  local rc=$?
  stop_all
  stop_strays
  wait 2>/dev/null || true
  mkdir -p "$OUT/logs"
  cp "$work"/*.log "$work"/*.toml "$OUT/logs/" 2>/dev/null || true
  tail -n 2000 "$work/rspamd/log/rspamd.log" > "$OUT/logs/rspamd.log" 2>/dev/null || true
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)"  # the idle-session test holds IDLE_SESSIONS descriptors in the relay and in its client
ip link set lo up

# A private /dev with our own /dev/log (the milters log through syslog), and a resolv.conf
# naming the NSD below, both seen only in this mount namespace.
mkdir "$work/dev"
mount -t tmpfs -o mode=755 tmpfs "$work/dev"
for n in null zero full random urandom tty; do touch "$work/dev/$n"; mount --bind "/dev/$n" "$work/dev/$n"; done
mkdir "$work/dev/pts" "$work/dev/shm"
mount --rbind /dev/pts "$work/dev/pts" 2>/dev/null || true
mount -t tmpfs -o mode=1777 tmpfs "$work/dev/shm"
ln -s /proc/self/fd "$work/dev/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$work/dev/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done
mount --move "$work/dev" /dev
$PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
import os; os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536) + b"\n")
' "$work/syslog.log" &
pids+=("syslog:$!")
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
echo "nameserver 127.0.0.1" > "$work/resolv.conf"
mount --bind "$work/resolv.conf" "$(readlink -f /etc/resolv.conf)"

# ---------------------------------------------------------------- keys, DNS, the message
mkdir -p "$work/keys" "$work/dump" "$work/sock" "$work/pid"
chmod 1777 "$work/dump" "$work/sock" "$work/pid"  # written by daemons after they drop root
for k in origin relay; do openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/keys/$k.pem" 2>/dev/null; done
openssl genpkey -algorithm ED25519 -out "$work/keys/ed.pem" 2>/dev/null
origin_txt=$($PY "$lib" dkimtxt "$work/keys/origin.pem")
relay_txt=$($PY "$lib" dkimtxt "$work/keys/relay.pem")
ed_txt=$($PY "$lib" dkimtxt "$work/keys/ed.pem")
txt_rr() { $PY -c 'import sys; v=sys.argv[1]; print(" ".join("\"%s\"" % v[i:i+250] for i in range(0, len(v), 250)))' "$1"; }
# The TXT records the validation step reads (what NSD serves, by name).
$PY - "$work/records.json" "$origin_txt" "$relay_txt" "$ed_txt" <<'EOF'
import json, sys
out, origin, relay, ed = sys.argv[1:]
json.dump({"s1._domainkey.origin.example": origin, "r._domainkey.fwd.bench": relay, "arc._domainkey.fwd.bench": relay,
           "e._domainkey.fwd.bench": ed, "relay._domainkey.fwd.bench": relay, "relay._domainkey.hikyaku.bench": relay},
          open(out, "w"))
EOF
cat > "$work/origin.zone" <<ZONE
\$ORIGIN origin.example.
\$TTL 3600
@  IN SOA ns hostmaster 1 3600 600 86400 60
@  IN NS ns
ns IN A 127.0.0.1
@  IN MX 10 ns
@  IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc IN TXT "v=DMARC1; p=reject"
s1._domainkey IN TXT $(txt_rr "$origin_txt")
ZONE
# The parent of origin.example: the DMARC tree walk (RFC 9989 §4.10) asks _dmarc.example, which
# the public DNS answers NXDOMAIN (cached); without this zone NSD refuses it and every message
# paid a SERVFAIL, which is never cached.
cat > "$work/example.zone" <<ZONE
\$ORIGIN example.
\$TTL 3600
@  IN SOA ns.origin.example. hostmaster.origin.example. 1 3600 600 86400 60
@  IN NS ns.origin.example.
origin IN NS ns.origin.example.
ZONE
for z in dest check; do
  cat > "$work/$z.zone" <<ZONE
\$ORIGIN $z.bench.
\$TTL 3600
@  IN SOA ns hostmaster 1 3600 600 86400 60
@  IN NS ns
ns IN A 127.0.0.1
@  IN MX 10 mx
mx IN A 127.0.0.$([ $z = dest ] && echo 1 || echo 2)
ZONE
done
cat > "$work/fwd.zone" <<ZONE
\$ORIGIN fwd.bench.
\$TTL 3600
@  IN SOA ns hostmaster 1 3600 600 86400 60
@  IN NS ns
ns IN A 127.0.0.1
@  IN MX 10 ns
@  IN TXT "v=spf1 ip4:127.0.0.0/8 -all"
r._domainkey IN TXT $(txt_rr "$relay_txt")
relay._domainkey IN TXT $(txt_rr "$relay_txt")
arc._domainkey IN TXT $(txt_rr "$relay_txt")
e._domainkey IN TXT $(txt_rr "$ed_txt")
ZONE
# The clients' HELO name and reverse zone: each claimed 192.0.2.N has a PTR to load.bench.test,
# whose A records and SPF record name them all (forward-confirmed, HELO SPF pass).
{
  printf '$ORIGIN bench.test.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n'
  echo 'load IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
  for i in $(seq 250); do echo "load IN A 192.0.2.$i"; done
} > "$work/helo.zone"
{
  printf '$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 3600\n@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 60\n@ IN NS ns.bench.test.\n'
  for i in $(seq 250); do echo "$i IN PTR load.bench.test."; done
} > "$work/reverse.zone"
cat > "$work/nsd.conf" <<NSD
server:
  ip-address: 127.0.0.1
  port: 53
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
  name: "example"
  zonefile: "example.zone"
zone:
  name: "origin.example"
  zonefile: "origin.zone"
zone:
  name: "dest.bench"
  zonefile: "dest.zone"
zone:
  name: "check.bench"
  zonefile: "check.zone"
zone:
  name: "fwd.bench"
  zonefile: "fwd.zone"
zone:
  name: "bench.test"
  zonefile: "helo.zone"
zone:
  name: "2.0.192.in-addr.arpa"
  zonefile: "reverse.zone"
NSD
/usr/sbin/nsd -c "$work/nsd.conf"
for _ in $(seq 100); do [ -s "$work/nsd.pid" ] && break; sleep 0.05; done
pids+=("nsd:$(tr -dc 0-9 < "$work/nsd.pid")")

$PY "$lib" message "$work/msg.eml" "$SIZE" "$work/keys/origin.pem"
$PY "$lib" message "$work/check.eml" "$SIZE" "$work/keys/origin.pem" check@hikyaku.bench
$PY "$lib" message "$work/large.eml" $((LARGE_MIB * 1048576 - 4096)) "$work/keys/origin.pem"  # its signature and the dot stay within LARGE_MIB

# The destination: smtp-sink on 127.0.0.1 counts (dest.bench), the one on 127.0.0.2 keeps each
# message in a file (check.bench: one message per configuration, checked before it is measured).
port() { $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
sink_port=$(port)
/usr/sbin/smtp-sink -u nobody -c 127.0.0.1:$sink_port 1024 > "$work/sink.out" 2>&1 &
pids+=("smtp-sink:$!")
/usr/sbin/smtp-sink -u nobody -d "$work/dump/%H%M%S." 127.0.0.2:$sink_port 64 > /dev/null 2>&1 &
pids+=("smtp-sink-dump:$!")
wait_port() {  # host:port
  local i; for i in $(seq 300); do (: > "/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null && return 0; sleep 0.1; done; return 1
}
wait_port 127.0.0.1:$sink_port; wait_port 127.0.0.2:$sink_port

{
  echo "date: $(date -u +%FT%TZ)  commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "COUNT=$COUNT SLOW_COUNT=$SLOW_COUNT SESSIONS=$SESSIONS SIZE=$SIZE message=$(wc -c < "$work/msg.eml")B"
  dpkg-query -W -f='${Package} ${Version}\n' postfix postsrsd opendkim opendmarc rspamd nsd openssl 2>/dev/null | tr '\n' ';'; echo
} > "$OUT/env.txt"
: > "$OUT/results.jsonl"

# ---------------------------------------------------------------- one measured run
# measure NAME COUNT TARGET LOG ROOTPID... : a warm-up of COUNT/10, then COUNT messages; one JSON
# line to results.jsonl. LOG is hikyaku's log ("" for the others). RATE, if set, paces the load.
measure() {
  local name=$1 n=$2 target=$3 hlog=$4; shift 4
  local warm=$(( n / 10 < 50 ? 50 : n / 10 )) before t0 t1 offset=0 rc=0 proxy=(-P 192.0.2) ok
  [ -n "${NOPROXY:-}" ] && proxy=()
  before=$($PY "$lib" sinkcount "$work/sink.out")
  "$load" -s "$SESSIONS" -m "$warm" -F "$work/msg.eml" "${proxy[@]}" "$target" > "$work/load.out" 2>&1 || true
  ok=$(grep -o 'ok=[0-9]*' "$work/load.out" | cut -d= -f2)
  $PY "$lib" waitsink "$work/sink.out" "$((before + ${ok:-0}))" 120 > /dev/null || true
  before=$($PY "$lib" sinkcount "$work/sink.out")
  if [ -n "$hlog" ]; then
    offset=$(stat -c %s "$hlog")
    curl -s "http://127.0.0.1:$hk_metrics/metrics" > "$work/metrics-before.txt" || true
  fi
  rm -f "$work/sample.json" "$work/sample.json.ready"
  if [ $# -gt 0 ]; then
    $PY "$lib" sample "$work/sample.json" "$@" &
    local sampler=$!
    for _ in $(seq 100); do [ -e "$work/sample.json.ready" ] && break; sleep 0.02; done
  fi
  t0=$(date +%s.%N)
  "$load" -s "$SESSIONS" -m "$n" -F "$work/msg.eml" "${proxy[@]}" ${RATE:+-r "$RATE"} "$target" \
    > "$work/load.out" 2> "$work/load.err" || rc=$?
  ok=$(grep -o 'ok=[0-9]*' "$work/load.out" | cut -d= -f2)
  t1=$($PY "$lib" waitsink "$work/sink.out" "$((before + ${ok:-0}))" 300 2>> "$work/load.err" | head -1) || true
  if [ $# -gt 0 ]; then kill -TERM "$sampler"; wait "$sampler" || true; fi
  [ -s "$work/load.err" ] && { log "$name: $(head -3 "$work/load.err" | tr '\n' ' ')"; }
  local lat='null' means='null'
  if [ -n "$hlog" ]; then
    lat=$($PY "$lib" loglat "$hlog" "$offset")
    curl -s "http://127.0.0.1:$hk_metrics/metrics" > "$work/metrics-after.txt" || true
    means=$($PY "$lib" stagemeans "$work/metrics-before.txt" "$work/metrics-after.txt" || echo null)
  fi
  $PY - "$name" "$n" "$t0" "$t1" "$work/load.out" "$work/sample.json" "$lat" "$means" >> "$OUT/results.jsonl" <<'EOF'
import json, os, sys
name, n, t0, t1, loadf, samplef, lat, means = sys.argv[1:]
load = dict(kv.split("=", 1) for kv in open(loadf).read().split())
sample = json.load(open(samplef)) if os.path.exists(samplef) else None
ok = int(load.get("ok", 0))
r = {"name": name, "count": int(n), "ok": ok, "failed": int(load.get("failed", 0)),
     "seconds": float(t1) - float(t0), "msg_per_s": ok / (float(t1) - float(t0)),
     "client_eod_ms": [float(load.get(k, 0)) for k in ("eod_p50_ms", "eod_p90_ms", "eod_p99_ms")],
     "relay_log": json.loads(lat), "relay_stage_mean_ms": json.loads(means)}
if sample and ok:
    r["cpu_ms_per_msg"] = sample["cpu_s"] * 1000 / max(ok, 1)
    r["cpu_cores_busy"] = sample["cpu_s"] / sample["seconds"]
    r["peak_rss_mib"] = sample["peak_rss_kib"] / 1024
    r["peak_pss_mib"] = sample["peak_pss_kib"] / 1024
    r["procs"] = sample["peak_procs"]
print(json.dumps(r))
EOF
  tail -1 "$OUT/results.jsonl" | $PY -c 'import json,sys; r=json.load(sys.stdin); print("  %-16s %5d/%d ok  %7.1f msg/s  cpu %s ms/msg  eod p50/p90/p99 %s ms" % (r["name"], r["ok"], r["count"], r["msg_per_s"], "%.2f" % r["cpu_ms_per_msg"] if "cpu_ms_per_msg" in r else "-", "/".join("%.1f" % x for x in r["client_eod_ms"])))' >&2
}

validate() {  # NAME TARGET: one message to check@ (the sink on 127.0.0.2 keeps it), then what it carries
  local name=$1 target=$2 f
  rm -f "$work"/dump/*
  "$load" -s 1 -m 1 -F "$work/check.eml" -t check@hikyaku.bench -P 192.0.2 "$target" > /dev/null || true
  for _ in $(seq 200); do f=$(ls "$work"/dump/* 2>/dev/null | head -1 || true); [ -n "$f" ] && break; sleep 0.1; done
  if [ -z "$f" ]; then echo "$name: nothing delivered" >> "$OUT/validation.txt"; log "$name: validation message not delivered"; return; fi
  sleep 0.2
  echo "$name: $($PY "$lib" validate "$f" "$work/records.json" 2>&1 | tail -1)" | tee -a "$OUT/validation.txt" >&2
}

# ---------------------------------------------------------------- hikyaku
hk_port=$(port); hk_proxy=$(port); hk_metrics=$(port)
hikyaku_conf() {  # MODE (plain | full | ed25519) -> $work/hikyaku-MODE.toml
  local mode=$1 f=$work/hikyaku-$1.toml
  cat > "$f" <<CONF
[server]
hostname = "bench.hikyaku.test"
postmaster = "postmaster@dest.bench"
listen = ["127.0.0.1:$hk_port"]
proxy_listen = ["127.0.0.1:$hk_proxy"]
trusted_proxies = ["127.0.0.1"]
max_connections = $(( IDLE_SESSIONS + 2000 ))
max_connections_per_ip = 1000
max_message_size = $(( (LARGE_MIB + 2) * 1048576 ))
[dns]
servers = ["127.0.0.1:53"]
trust_anchor_file = ""  # NSD serves unsigned zones and is not recursive
[relay]
port = $sink_port
helo_name = "bench.hikyaku.test"
[auth]
dmarc_enforce = true
[queue]
directory = "$work/spool-$mode"
[metrics]
listen = "127.0.0.1:$hk_metrics"
[log]
level = "info"
[[domain]]
name = "hikyaku.bench"
[[domain.rule]]
address = "user"
forward = ["dest@dest.bench"]
[[domain.rule]]
address = "check"
forward = ["dest@check.bench"]
CONF
  if [ "$mode" != plain ]; then
    printf '[srs]\ndomain = "fwd.bench"\nsecrets = ["%s"]\n' "$(openssl rand -hex 32)" >> "$f"
    printf '[[dkim.key]]\ndomain = "fwd.bench"\nselector = "e"\nalgorithm = "ed25519-sha256"\nprivate_key = "%s"\n' "$work/keys/ed.pem" >> "$f"
  fi
  if [ "$mode" = full ]; then
    printf '[[dkim.key]]\ndomain = "fwd.bench"\nselector = "r"\nprivate_key = "%s"\n' "$work/keys/relay.pem" >> "$f"
    printf '[arc]\nenabled = true\ndomain = "fwd.bench"\nselector = "arc"\nprivate_key = "%s"\n' "$work/keys/relay.pem" >> "$f"
  fi
  "$bin" check -c "$f" > "$work/check-$mode.log" 2>&1 || { cat "$work/check-$mode.log" >&2; return 1; }
}
hk_pid=""
start_hikyaku() {  # MODE CPUS LOGNAME
  hikyaku_conf "$1"
  taskset -c "$2" "$bin" serve -c "$work/hikyaku-$1.toml" 2> "$work/$3.log" &
  hk_pid=$!
  pids+=("hikyaku:$hk_pid")
  wait_port 127.0.0.1:$hk_proxy || { log "hikyaku $1 did not start"; tail "$work/$3.log" >&2; return 1; }
}
stop_hikyaku() {
  curl -s "http://127.0.0.1:$hk_metrics/metrics" > "$OUT/metrics-$1.txt" 2>/dev/null || true
  stop_pid hikyaku "$hk_pid"
  wait "$hk_pid" 2>/dev/null || true
  local e kept=(); for e in "${pids[@]}"; do [ "$e" != "hikyaku:$hk_pid" ] && kept+=("$e"); done; pids=("${kept[@]}")
}

run_hikyaku() {  # CONFIG
  local cfg=$1 mode=$1 cpus=0,1 n=$SLOW_COUNT
  case $cfg in plain) n=$COUNT;; full-1core) mode=full; cpus=0;; esac
  log "hikyaku $cfg (taskset -c $cpus)"
  start_hikyaku "$mode" "$cpus" "hikyaku-$cfg"
  validate "$cfg" 127.0.0.1:$hk_proxy
  local perf_pid=""
  if [ "$PERF" = 1 ] && [[ " $PERF_CONFIGS " == *" $cfg "* ]]; then
    perf record ${PERF_OPTS:--F 999 -g} -p "$hk_pid" -o "$OUT/perf-$cfg.data" > "$work/perf.log" 2>&1 &
    perf_pid=$!
  fi
  measure "$cfg" "$n" 127.0.0.1:$hk_proxy "$work/hikyaku-$cfg.log" "$hk_pid"
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    perf report -i "$OUT/perf-$cfg.data" --stdio --no-children -g none --sort dso,symbol --percent-limit 0.5 2>/dev/null \
      | grep -v '^#' | grep '%' | sed -e 's/  */ /g' -e 's/[ -]*$//' | head -30 > "$OUT/perf-top-$cfg.txt" || true
    { echo "by object:"; perf report -i "$OUT/perf-$cfg.data" --stdio --no-children -g none --sort dso 2>/dev/null \
      | grep -v '^#' | grep '%' | sed -e 's/  */ /g' -e 's/[ -]*$//' | head -8; } > "$OUT/perf-dso-$cfg.txt" || true
  fi
  if [ "$cfg" = full ]; then  # the latency target is at half the maximum rate
    local half; half=$(tail -1 "$OUT/results.jsonl" | $PY -c 'import json,sys; print(int(json.load(sys.stdin)["msg_per_s"] / 2) or 1)')
    log "hikyaku full at half its rate: $half msg/s"
    RATE=$half measure full-halfrate "$(( n / 2 ))" 127.0.0.1:$hk_proxy "$work/hikyaku-$cfg.log" "$hk_pid"
  fi
  stop_hikyaku "$cfg"
}

run_idle() {
  log "hikyaku full: $IDLE_SESSIONS idle sessions"
  start_hikyaku full 0,1 hikyaku-idle
  "$load" -s 4 -m 100 -F "$work/msg.eml" -P 192.0.2 127.0.0.1:$hk_proxy > /dev/null || true
  local sources; sources=$(seq -s, -f '127.0.0.%g' 11 $(( 11 + (IDLE_SESSIONS + 999) / 1000 )))
  $PY "$lib" idle "$hk_port" "$IDLE_SESSIONS" "$sources" "$hk_pid" > "$work/idle.json" || true
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d["name"]="idle"; print(json.dumps(d))' "$work/idle.json" >> "$OUT/results.jsonl"
  tail -1 "$OUT/results.jsonl" >&2
  stop_hikyaku idle
}

run_large() {
  log "hikyaku full: one ${LARGE_MIB} MiB message"
  start_hikyaku full 0,1 hikyaku-large
  "$load" -s 4 -m 100 -F "$work/msg.eml" -P 192.0.2 127.0.0.1:$hk_proxy > /dev/null || true
  local before after size
  before=$($PY "$lib" hwm "$hk_pid")
  "$load" -s 1 -m 1 -F "$work/large.eml" -P 192.0.2 127.0.0.1:$hk_proxy > "$work/large.out" 2>&1 || log "large: $(cat "$work/large.out")"
  after=$($PY "$lib" hwm "$hk_pid")
  size=$(grep -o 'size=[0-9]*' "$work/large.out" | cut -d= -f2)  # as sent: CRLF lines, the final dot
  size=${size:-$(wc -c < "$work/large.eml")}
  $PY - "$before" "$after" "$size" "$work/large.out" >> "$OUT/results.jsonl" <<'EOF'
import json, sys
b, a, size, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4]).read()
print(json.dumps({"name": "large", "size": size, "ok": "ok=1" in out, "hwm_before_kib": b["VmHWM"],
                  "hwm_after_kib": a["VmHWM"], "growth_per_size": (a["VmHWM"] - b["VmHWM"]) * 1024 / size}))
EOF
  tail -1 "$OUT/results.jsonl" >&2
  stop_hikyaku large
}

# ---------------------------------------------------------------- Postfix stacks
pf_port=$(port)
postsrsd_start() {
  head -c 32 /dev/urandom | base64 > "$work/postsrsd.secret"; chmod 600 "$work/postsrsd.secret"
  /usr/sbin/postsrsd -s "$work/postsrsd.secret" -d fwd.bench -a = -n 4 -N 4 -l 127.0.0.1 -f 10001 -r 10002 \
    -u postsrsd -p "$work/pid/postsrsd.pid" -4 -D
  wait_port 127.0.0.1:10001
  pids+=("postsrsd:$(wait_pidfile "$work/pid/postsrsd.pid")")
}
wait_pidfile() { local i; for i in $(seq 200); do [ -s "$1" ] && { tr -dc 0-9 < "$1"; return 0; }; sleep 0.05; done; return 1; }
milters_start() {  # OpenDKIM verifier, OpenDMARC (SPF self-check), OpenDKIM signer on UNIX sockets
  install -o opendkim -m 600 "$work/keys/relay.pem" "$work/keys/relay-opendkim.pem"
  echo "relay fwd.bench:relay:$work/keys/relay-opendkim.pem" > "$work/KeyTable"
  echo "* relay" > "$work/SigningTable"
  local common="Syslog yes
SyslogSuccess yes
Canonicalization relaxed/simple
OversignHeaders From
UserID opendkim
UMask 000
Nameservers 127.0.0.1"
  printf '%s\nMode v\nSocket local:%s\nPidFile %s\nAuthservID relay.postfix.bench\n' "$common" \
    "$work/sock/dkim-verify.sock" "$work/pid/opendkim-verify.pid" > "$work/opendkim-verify.conf"
  # RequireSafeKeys: the key lives under /tmp, whose permissions OpenDKIM would refuse.
  printf '%s\nMode s\nRequireSafeKeys false\nSocket local:%s\nPidFile %s\nMTA relay.postfix.bench\nKeyTable %s\nSigningTable refile:%s\n' "$common" \
    "$work/sock/dkim-sign.sock" "$work/pid/opendkim-sign.pid" "$work/KeyTable" "$work/SigningTable" > "$work/opendkim-sign.conf"
  cat > "$work/opendmarc.conf" <<CONF
Syslog true
UMask 0000
UserID opendmarc
Socket local:$work/sock/dmarc.sock
PidFile $work/pid/opendmarc.pid
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
AuthservID relay.postfix.bench
TrustedAuthservIDs relay.postfix.bench
SPFSelfValidate true
SPFIgnoreResults true
RejectFailures true
CONF
  /usr/sbin/opendkim -x "$work/opendkim-verify.conf"
  /usr/sbin/opendkim -x "$work/opendkim-sign.conf"
  /usr/sbin/opendmarc -c "$work/opendmarc.conf"
  local p
  for p in opendkim-verify opendkim-sign opendmarc; do pids+=("$p:$(wait_pidfile "$work/pid/$p.pid")"); done
  for s in dkim-verify dkim-sign dmarc; do
    for _ in $(seq 200); do [ -S "$work/sock/$s.sock" ] && break; sleep 0.05; done
    chmod 666 "$work/sock/$s.sock"
  done
}
rspamd_start() {  # Debian's stock rspamd configuration, the modules a relay does not need off
  local d=$work/rspamd m
  mkdir -p "$d/local.d" "$d/override.d" "$d/run" "$d/db" "$d/log"
  chown _rspamd:_rspamd "$d/run" "$d/db" "$d/log"
  install -o _rspamd -m 600 "$work/keys/relay.pem" "$work/keys/relay-rspamd.pem"
  for m in antivirus asn aws_s3 bimi chartable clickhouse dcc elastic emails external_relay external_services \
           force_actions forged_recipients fuzzy_check greylist hfilter history_redis http_headers maillist \
           metadata_exporter metric_exporter mid mime_types multimap mx_check neural once_received p0f phishing \
           ratelimit rbl regexp replies reputation rspamd_update spamassassin spamtrap surbl trie url_redirector whitelist; do
    echo "enabled = false;" > "$d/local.d/$m.conf"
  done
  local signing="enabled = true;
sign_inbound = true; sign_local = true; sign_authenticated = true;
use_domain = \"recipient\"; use_domain_sign_local = \"recipient\"; use_domain_sign_inbound = \"recipient\";
use_domain_sign_networks = \"recipient\";
allow_hdrfrom_mismatch = true; allow_hdrfrom_mismatch_local = true; allow_hdrfrom_mismatch_sign_networks = true;
allow_username_mismatch = true; use_esld = false; check_pubkey = false;
domain { hikyaku.bench { path = \"$work/keys/relay-rspamd.pem\"; selector = \"relay\"; } }"
  echo "$signing" > "$d/local.d/arc.conf"
  echo "$signing" > "$d/local.d/dkim_signing.conf"
  printf 'check_local = true;\ncheck_authed = true;\n' > "$d/local.d/dkim.conf"
  printf 'check_local = true;\ncheck_authed = true;\n' > "$d/local.d/spf.conf"
  printf 'check_local = true;\ncheck_authed = true;\nreporting { enabled = false; }\n' > "$d/local.d/dmarc.conf"
  printf 'use = ["authentication-results"];\nskip_local = false;\nskip_authenticated = false;\n' > "$d/local.d/milter_headers.conf"
  printf 'dns { nameserver = ["127.0.0.1:53"]; }\n' > "$d/local.d/options.inc"
  /usr/bin/rspamd -c /etc/rspamd/rspamd.conf --var=LOCAL_CONFDIR="$d" --var=RUNDIR="$d/run" --var=DBDIR="$d/db" \
    --var=LOGDIR="$d/log" -u _rspamd -g _rspamd > "$work/rspamd-start.log" 2>&1
  pids+=("rspamd:$(wait_pidfile "$d/run/rspamd.pid")")
  wait_port 127.0.0.1:11332
}
postfix_start() {  # STACK (plain | milters | rspamd) -> sets pf_master
  local stack=$1 d=$work/postfix-$1
  mkdir -p "$d/etc" "$d/queue" "$d/data"
  chown postfix "$d/data"
  cat > "$d/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.postfix.bench
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
# The load opens with a PROXY header (as behind a load balancer); the claimed client is checked.
smtpd_upstream_proxy_protocol = haproxy
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_alias_domains = hikyaku.bench
virtual_alias_maps = inline:{ user@hikyaku.bench=dest@dest.bench, check@hikyaku.bench=dest@check.bench }
transport_maps = inline:{ dest.bench=smtp:[127.0.0.1]:$sink_port, check.bench=smtp:[127.0.0.2]:$sink_port }
CONF
  if [ "$stack" != plain ]; then
    cat >> "$d/etc/main.cf" <<CONF
sender_canonical_maps = tcp:127.0.0.1:10001
sender_canonical_classes = envelope_sender
recipient_canonical_maps = tcp:127.0.0.1:10002
recipient_canonical_classes = envelope_recipient, header_recipient
milter_default_action = tempfail
milter_protocol = 6
CONF
  fi
  case $stack in
    milters) echo "smtpd_milters = unix:$work/sock/dkim-verify.sock, unix:$work/sock/dmarc.sock, unix:$work/sock/dkim-sign.sock" >> "$d/etc/main.cf";;
    rspamd) printf 'smtpd_milters = inet:127.0.0.1:11332\nmilter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}\n' >> "$d/etc/main.cf";;
  esac
  # Debian's master.cf with the SMTP listener on our port and no chroot (none is set up here).
  awk -v listen="127.0.0.1:$pf_port" '/^#/ || /^[ \t]/ || NF < 8 { print; next }
    { if ($1 == "smtp" && $2 == "inet") $1 = listen; $5 = "n"; print }' /etc/postfix/master.cf > "$d/etc/master.cf"
  /usr/sbin/postfix -c "$d/etc" check
  /usr/sbin/postfix -c "$d/etc" start > "$work/postfix-start.log" 2>&1 || true
  postfix_dirs+=("$d/etc")
  wait_port 127.0.0.1:$pf_port || { log "postfix $stack did not start"; cat "$work/postfix-start.log" >&2; return 1; }
  pf_master=$(wait_pidfile "$d/queue/pid/master.pid")
}
run_postfix() {  # CONFIG
  local cfg=$1 stack=${1#postfix-} n=$SLOW_COUNT roots=()
  [ "$cfg" = postfix ] && { stack=plain; n=$COUNT; }
  log "$cfg"
  case $stack in
    milters) postsrsd_start; milters_start;;
    rspamd) postsrsd_start; rspamd_start;;
  esac
  postfix_start "$stack"
  local e; for e in "${pids[@]}"; do
    case ${e%%:*} in postsrsd|opendkim-*|opendmarc|rspamd) roots+=("${e##*:}");; esac
  done
  validate "$cfg" 127.0.0.1:$pf_port
  measure "$cfg" "$n" 127.0.0.1:$pf_port "" "$pf_master" "${roots[@]}"
  stop_all_but_base
}
stop_all_but_base() {  # everything but syslog, NSD and the sinks
  local e d kept=()
  for d in "${postfix_dirs[@]}"; do stop_postfix "$d"; done
  postfix_dirs=()
  for e in "${pids[@]}"; do
    case ${e%%:*} in syslog|nsd|smtp-sink|smtp-sink-dump) kept+=("$e");; *) stop_pid "${e%%:*}" "${e##*:}";; esac
  done
  pids=("${kept[@]}")
}

# ---------------------------------------------------------------- the run
if [ "$CRYPTO" = 1 ]; then
  log "openssl speed -multi $(nproc) -seconds 3 rsa2048 ed25519 (the crypto ceiling)"
  openssl speed -multi "$(nproc)" -seconds 3 rsa2048 ed25519 > "$OUT/openssl-speed.txt" 2>/dev/null || true
fi
for cfg in $CONFIGS; do
  case $cfg in
    H) log "harness: smtp-load -> smtp-sink"
       NOPROXY=1 measure H "$COUNT" 127.0.0.1:$sink_port "" ;;
    plain|full|ed25519|full-1core) run_hikyaku "$cfg" ;;
    postfix|postfix-milters|postfix-rspamd) run_postfix "$cfg" ;;
    idle) run_idle ;;
    large) run_large ;;
    *) log "unknown configuration $cfg" ;;
  esac
done
stop_all_but_base
grep -c 'status=sent' "$work/syslog.log" > "$OUT/postfix-sent.txt" 2>/dev/null || true
$PY "$root/bench/report.py" "$OUT" | tee "$OUT/report.md"
log "results in $OUT"
