#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 / Node 20 machine: installs what it needs, then type-checks,
# lints and runs every test (node's built-in runner prints the summary).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in mosquitto:mosquitto mosquitto_pub:mosquitto-clients tshark:tshark dumpcap:tshark \
            redis-server:redis-server chromium:chromium argon2:argon2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
/usr/bin/python3 -c 'import paho.mqtt' >/dev/null 2>&1 || need+=(python3-paho-mqtt)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test.sh: missing Debian packages (run as root to install): ${need[*]}" >&2
    exit 1
  fi
fi

npm ci --no-audit --no-fund --loglevel=error
npm test
