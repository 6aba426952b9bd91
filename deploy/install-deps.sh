#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, fuzzing and benchmarking Hikyaku need.
# Idempotent: does nothing when all of them are already installed.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkgconf ccache
  libboost-dev libssl-dev libidn2-dev
  libopendkim-dev libspf2-dev libseccomp-dev
  libunbound-dev dns-root-data
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libsystemd-dev   # sd_notify (readiness, reload, watchdog) and the journald log sink
  zlib1g-dev       # gzip of the daily TLS/DMARC aggregate reports (reports/report_message)
  # unit tests, sanitizers, fuzzers
  libgtest-dev libgmock-dev clang libclang-rt-14-dev
  # integration tests and benchmarks: real peers
  swaks libnet-ssleay-perl libio-socket-ssl-perl libio-socket-inet6-perl
  python3 python3-aiosmtpd python3-dkim python3-nacl python3-authres python3-spf openssl nsd bind9-dnsutils postfix
  # the metrics test parses /metrics with a real Prometheus text parser
  python3-prometheus-client
  systemd          # systemd-analyze verify/security on deploy/systemd/hikyaku.service
  python3-yaml     # test_deploy parses the Kubernetes manifests of deploy/kubernetes
  # outbound TLS tests: a DNSSEC-signed zone (ldns-keygen, ldns-signzone) for DANE, and
  # certificates made in the test (valid, expired, for other names)
  ldnsutils python3-cryptography
  python3-jsonschema  # TLS reports validated against the RFC 8460 JSON schema
  libxml2-utils    # xmllint validates the DMARC aggregate reports sent against RFC 9990's schema
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update
# postfix: its smtp-sink/smtp-source load tools, and private instances the interop tests and the
# bench start from their own config directories; the system instance is never configured or started.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
