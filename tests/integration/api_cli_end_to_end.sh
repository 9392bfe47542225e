#!/usr/bin/env bash
# The admin API end to end with the real binary: `opencapf admin token create|list|revoke`, `serve
# --admin` with the listener's own certificate ([admin] cert_file/key_file), curl over HTTPS with
# that certificate as the only anchor, `opencapf audit`, and the public CRL checked by OpenSSL.
# Usage: api_cli_end_to_end.sh /path/to/opencapf
set -euo pipefail

OPENCAPF=${1:?usage: api_cli_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

DATA=$WORK/data
export OPENCAPF_DATA=$DATA

step "init, and a certificate of its own for the admin listener"
"$OPENCAPF" init --subject "CN=CAPF-api,O=opencapf e2e,C=NZ" --days 400 >/dev/null
"$OPENCAPF" ca export >"$WORK/capf.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$DATA/admin-key.pem" -out "$DATA/admin-cert.pem" 2>/dev/null
sed -i -e 's|^cert_file = ""|cert_file = "admin-cert.pem"|' \
  -e 's|^key_file = ""|key_file = "admin-key.pem"|' "$DATA/opencapf.toml"
contains "$DATA/opencapf.toml" 'cert_file = "admin-cert.pem"'

step "admin token create prints the token once; only its hash is stored"
"$OPENCAPF" admin token create --role admin --name root >"$WORK/admin-token.txt" 2>"$WORK/create.err"
ADMIN=$(cat "$WORK/admin-token.txt")
[[ "$ADMIN" == ocapf_* ]] || fail "unexpected token '$ADMIN'"
contains "$WORK/create.err" "shown only this once"
"$OPENCAPF" admin token create --role viewer --name dashboard >"$WORK/viewer-token.txt" 2>/dev/null
VIEWER=$(cat "$WORK/viewer-token.txt")
expect_exit 2 "$OPENCAPF" admin token create --role superuser
contains "$WORK/out.txt" "use viewer, operator or admin"
"$OPENCAPF" admin token list >"$WORK/tokens.txt"
contains "$WORK/tokens.txt" "dashboard"
contains "$WORK/tokens.txt" "viewer"
if grep -qF -- "${VIEWER##*_}" "$WORK/tokens.txt" "$DATA/registry.db"; then
  fail "a token secret was stored or listed"
fi

step "serve with --admin on an ephemeral port"
start_server --admin
# api METHOD PATH TOKEN [BODY]: the HTTP status in $WORK/status, the body in $WORK/body.
api() {
  local args=(-sS --cacert "$DATA/admin-cert.pem" -X "$1" -o "$WORK/body" -w '%{http_code}')
  [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H "Content-Type: application/json" --data "$4")
  curl "${args[@]}" "$API$2" >"$WORK/status"
}
expect_status() { [ "$(cat "$WORK/status")" = "$1" ] || { cat "$WORK/body" >&2; fail "HTTP $(cat "$WORK/status"), expected $1"; }; }

step "tokens and roles over HTTPS"
api GET /api/v1/devices ""
expect_status 401
contains "$WORK/body" "Authorization: Bearer"
api GET /api/v1/devices "$VIEWER"
expect_status 200
api PUT /api/v1/devices/SEP001122334455 "$VIEWER" '{"operation": "install", "auth_mode": "null"}'
expect_status 403
api PUT /api/v1/devices/SEP001122334455 "$ADMIN" '{"operation": "install", "auth_mode": "null"}'
expect_status 201
contains "$WORK/body" "Operation Pending"
"$OPENCAPF" device show SEP001122334455 >"$WORK/show.txt"
contains "$WORK/show.txt" "Operation Pending"

step "opencapf audit shows the API's change and the tokens"
"$OPENCAPF" audit >"$WORK/audit.txt"
contains "$WORK/audit.txt" "device.set"
contains "$WORK/audit.txt" "token:1:root"
contains "$WORK/audit.txt" "token.create"
"$OPENCAPF" audit --json --target SEP001122334455 >"$WORK/audit.json"
contains "$WORK/audit.json" '"before": null'
contains "$WORK/audit.json" '"operation": "install"'
api GET "/api/v1/audit?limit=1" "$VIEWER"
expect_status 200
contains "$WORK/body" "device.set"

step "a revoked token stops working"
"$OPENCAPF" admin token revoke 2 >/dev/null
api GET /api/v1/devices "$VIEWER"
expect_status 401
expect_exit 1 "$OPENCAPF" admin token revoke 99
contains "$WORK/out.txt" "no admin token 99"

step "the CRL is public and OpenSSL verifies it"
curl -sS --cacert "$DATA/admin-cert.pem" -o "$WORK/capf.crl" "$API/api/v1/crl"
openssl crl -inform DER -in "$WORK/capf.crl" -CAfile "$WORK/capf.pem" -noout -verify \
  >"$WORK/crl.txt" 2>&1 || { cat "$WORK/crl.txt" >&2; fail "the CRL does not verify"; }
contains "$WORK/crl.txt" "verify OK"

step "the server stops cleanly on SIGTERM"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "the server exited non-zero on SIGTERM"
BACKGROUND_PIDS=()
if grep -qF -- "${ADMIN##*_}" "$WORK/server.log"; then fail "a token was logged"; fi
echo "PASS"
