#!/usr/bin/env bash
# The web console in a real browser: starts `opencapf serve` with the admin listener, makes an admin
# token with the CLI, and runs console.spec.mjs (playwright-core driving Debian's Chromium headless)
# against it. Screenshots go to ${OPENCAPF_ARTIFACTS:-ARTIFACTS_DEFAULT}/console/.
# Needs `chromium` and `npm ci` in tests/console (scripts/install-deps.sh does both).
# Usage: console_end_to_end.sh /path/to/opencapf [ARTIFACTS_DEFAULT]
set -euo pipefail

OPENCAPF=${1:?usage: console_end_to_end.sh /path/to/opencapf [artifacts-dir]}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../integration/lib.sh"
ARTIFACTS=${OPENCAPF_ARTIFACTS:-${2:-$PWD/test-artifacts}}/console
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM: run scripts/install-deps.sh (apt-get install chromium)"
[ -d "$HERE/node_modules/playwright-core" ] ||
  fail "playwright-core is not installed: run scripts/install-deps.sh (npm ci in tests/console)"

DATA=$WORK/data
export OPENCAPF_DATA=$DATA

step "init and serve with the admin listener on ephemeral ports"
"$OPENCAPF" init --subject "CN=CAPF-console,O=opencapf e2e,C=NZ" --days 400 >/dev/null
"$OPENCAPF" ca export >"$WORK/capf.pem"
"$OPENCAPF" admin token create --role admin --name console >"$WORK/token.txt" 2>/dev/null
start_server --admin

step "the files the browser uploads"
DEVICES="SEP00000000C0A1 SEP00000000C0A2 SEP00000000C0A3"
{
  echo "device_name,operation,auth_mode,key_order,description"
  for d in $DEVICES; do echo "$d,none,null,ec,console test phone"; done
} >"$WORK/devices.csv"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=Console Test Root/O=opencapf e2e" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$WORK/root-key.pem" -out "$WORK/root.pem" 2>/dev/null
echo "this is not a certificate" >"$WORK/not-a-cert.pem"

step "the browser test"
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png
CONSOLE_URL="https://127.0.0.1:$API_PORT/" CONSOLE_TOKEN=$(cat "$WORK/token.txt") \
  CONSOLE_CSV="$WORK/devices.csv" CONSOLE_DEVICES="$DEVICES" CONSOLE_ROOT_PEM="$WORK/root.pem" \
  CONSOLE_NOT_A_CERT="$WORK/not-a-cert.pem" CONSOLE_ARTIFACTS="$ARTIFACTS" \
  OPENCAPF="$OPENCAPF" PHONE_SERVER="$SERVER" CAPF_PEM="$WORK/capf.pem" WORK="$WORK" \
  CHROMIUM="$CHROMIUM" timeout 150 node "$HERE/console.spec.mjs" ||
  fail "the browser test failed (screenshots so far in $ARTIFACTS)"

for page in 01-login 02-dashboard 03-devices-scheduled 04-devices-success 05-device 06-ca 06-ca-regenerated 07-reports; do
  [ -s "$ARTIFACTS/$page.png" ] || fail "no screenshot $page.png"
done
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died during the test"
echo "console_end_to_end: passed; screenshots in $ARTIFACTS"
