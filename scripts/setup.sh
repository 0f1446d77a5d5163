#!/bin/sh
# Installs what sipstate's demo, tests and benchmarks need on a fresh Debian machine, then the npm packages.
# Safe to run again: each step is skipped when its work is already done.
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v kamailio >/dev/null 2>&1 || missing="$missing kamailio"
[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so ] || ls /usr/lib/*/kamailio/modules/websocket.so >/dev/null 2>&1 || missing="$missing kamailio-websocket-modules"
command -v sipp >/dev/null 2>&1 || missing="$missing sip-tester"
# The CLI tests make a throwaway certificate for a wss:// check.
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
if [ "${SIPSTATE_SKIP_BROWSER:-0}" != "1" ]; then
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
fi

if [ -n "$missing" ]; then
  echo "sipstate setup: installing$missing with apt-get"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=""; fi
  $SUDO apt-get update -qq
  # With recommended packages, as the tests were run here: Chromium's fonts come that way.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# Debian's kamailio package may start a system instance on the default ports; sipstate's tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  systemctl stop kamailio || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sipstate setup: npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi
