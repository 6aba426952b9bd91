#!/usr/bin/env bash
# The same load as run-forwarding.sh through Postfix configured as a forwarder (a private
# instance: virtual alias to dest@dest.bench, transport straight to smtp-sink, no DNS), for the
# side-by-side numbers DESIGN §5 asks for. Postfix answers 250 once the message is in its queue
# and delivers afterwards, so both the accept rate and the time until the sink has every
# message are reported. Usage: bench/run-postfix.sh [COUNT] [CONCURRENCY] [SIZE]. Loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-2000}; concurrency=${2:-20}; size=${3:-4096}
work=$(mktemp -d /tmp/postfix-bench.XXXXXX)
conf=$work/conf
sink_pid=""
cleanup() {
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  if [ -f "$work/queue/pid/master.pid" ]; then
    master=$(tr -d ' ' < "$work/queue/pid/master.pid"); kill "$master" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
smtp_port=$(free_port); sink_port=$(free_port)
chmod 755 "$work"  # the postfix user must reach its data directory
mkdir -p "$conf" "$work/queue" "$work/data"
chown postfix "$work/data"
cat > "$conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $work/queue
data_directory = $work/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_alias_domains = hikyaku.bench
virtual_alias_maps = inline:{ user@hikyaku.bench=dest@dest.bench }
transport_maps = inline:{ dest.bench=smtp:[127.0.0.1]:$sink_port }
smtp_dns_support_level = disabled
alias_maps =
alias_database =
maillog_file_prefixes = $work
maillog_file = $work/maillog
CONF
# Debian's master.cf with the SMTP listener on our port and no chroot (none is set up here).
awk -v listen="127.0.0.1:$smtp_port" '/^#/ || /^[ \t]/ || NF < 8 { print; next }
  { if ($1 == "smtp" && $2 == "inet") $1 = listen; $5 = "n"; print }' /etc/postfix/master.cf > "$conf/master.cf"
/usr/sbin/smtp-sink -u nobody 127.0.0.1:$sink_port 1024 > /dev/null 2>&1 &
sink_pid=$!
/usr/sbin/postfix -c "$conf" check
/usr/sbin/postfix -c "$conf" start 2> "$work/start.log" || true  # non-zero while it settles; the port decides
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$smtp_port) 2>/dev/null && break; sleep 0.1; done
(echo > /dev/tcp/127.0.0.1/$smtp_port) 2>/dev/null || { echo "postfix did not start:"; cat "$work/start.log" "$work/maillog" 2>/dev/null; exit 1; }

delivered() { grep -c 'status=sent' "$work/maillog" 2>/dev/null || true; }
wait_delivered() {  # until the sink has $1 messages (at most 120 s)
  for _ in $(seq 1200); do [ "$(delivered)" -ge "$1" ] && return 0; sleep 0.1; done
  return 1
}
echo "== postfix $(postconf -d -h mail_version) on $(nproc) cores: $count x ${size}B, $concurrency concurrent senders"
echo "-- load.py (one message per connection, latency from connect to the DATA reply)"
start=$(date +%s.%N)
/usr/bin/python3 "$root/bench/load.py" --port "$smtp_port" --rcpt user@hikyaku.bench \
  --count "$count" --concurrency "$concurrency" --size "$size"
wait_delivered "$count" || echo "not all delivered"
end=$(date +%s.%N)
/usr/bin/python3 -c "c=$count; t=$end-$start; print(f'accepted and delivered: {c} in {t:.2f}s = {c/t:.0f} msg/s')"
echo "-- smtp-source (Postfix's load tool)"
start=$(date +%s.%N)
/usr/sbin/smtp-source -s "$concurrency" -m "$count" -l "$size" -f load@origin.example \
  -t user@hikyaku.bench 127.0.0.1:$smtp_port
accepted=$(date +%s.%N)
wait_delivered $((2 * count)) || echo "not all delivered"
end=$(date +%s.%N)
/usr/bin/python3 -c "c=$count; a=$accepted-$start; t=$end-$start; print(f'smtp-source: {c} accepted in {a:.2f}s = {c/a:.0f} msg/s; all delivered after {t:.2f}s = {c/t:.0f} msg/s')"
echo "postfix log: status=sent $(delivered) (of $((2 * count)) sent in both runs)"
