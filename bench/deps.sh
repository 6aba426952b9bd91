#!/usr/bin/env bash
# The Debian 12 packages `make bench` needs beyond deploy/install-deps.sh: the Postfix stacks it
# compares against (postsrsd, OpenDKIM, OpenDMARC, rspamd), NSD for their DNS, perf for PERF=1.
# Idempotent. Package scripts are never allowed to start a system-wide daemon: every daemon of the
# benchmark is started by bench/run-bench.sh inside its own namespaces.
set -euo pipefail

PACKAGES=(
  postfix nsd                       # the Postfix forwarder, smtp-sink; DNS for every stack
  postsrsd opendkim opendmarc       # Postfix + postsrsd + OpenDKIM + OpenDMARC
  rspamd                            # Postfix + postsrsd + rspamd
  publicsuffix                      # OpenDMARC's PublicSuffixList
  python3 python3-dkim openssl curl # keys, the signed message, the report, hikyaku's /metrics
  gcc libc6-dev                     # bench/smtp-load.c
  util-linux iproute2 procps        # unshare, taskset; ip; ps
  linux-perf                        # PERF=1
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || { echo "bench/deps.sh: run as root to install ${missing[*]}" >&2; exit 1; }
echo "bench/deps.sh: installing ${missing[*]}"
# A policy-rc.d that refuses every start keeps the new packages' daemons stopped; one already in
# place is left as it is.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
