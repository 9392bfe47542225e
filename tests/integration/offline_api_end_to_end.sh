#!/usr/bin/env bash
# The Offline CA procedure through the admin API (what the console's CA page uses): a phone's
# request waits, GET /api/v1/offline/requests lists it, GET /api/v1/offline/export returns it in a
# .tgz, an `openssl`-run offline CA signs it, POST /api/v1/offline/import refuses junk in words and
# takes the signed certificate, and the phone installs it. The server starts in CAPF mode and is
# switched to offline mode while it runs; the offline CA signs through an intermediate that is only
# in the chain file given then, so the import shows that the API reads the chain at that moment.
# Usage: offline_api_end_to_end.sh /path/to/opencapf
set -euo pipefail

OPENCAPF=${1:?usage: offline_api_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

DATA=$WORK/data
CA=$WORK/ca
mkdir -p "$CA"
export OPENCAPF_DATA=$DATA

step "init; an offline root (with an intermediate) in both trust stores"
"$OPENCAPF" init --subject "CN=CAPF-offline-api,O=opencapf e2e,C=NZ" --days 400 >/dev/null
make_ca_pair "$CA" "Offline Root" "Offline Issuing CA" 30
"$OPENCAPF" trust add capf-trust "$CA/root.pem" >/dev/null
"$OPENCAPF" trust add callmanager-trust "$CA/root.pem" >/dev/null
"$OPENCAPF" admin token create --role operator --name offline >"$WORK/token.txt" 2>/dev/null
"$OPENCAPF" admin token create --role viewer --name look >"$WORK/viewer.txt" 2>/dev/null
"$OPENCAPF" device set SEP0000000000D1 --op install --auth null >/dev/null

step "serve (CAPF mode) with the admin listener; switch to offline mode while it runs"
start_server --admin
"$OPENCAPF" issuer set --mode offline --ca-chain "$CA/chain.pem" >/dev/null
wait_log "issuer now:"
# api METHOD PATH TOKEN [curl args...]: the status in $WORK/status, the body in $WORK/body.
api() {
  local method=$1 path=$2 token=$3
  shift 3
  curl -sS -k -X "$method" -H "Authorization: Bearer $token" -o "$WORK/body" -w '%{http_code}' \
    "$@" "$API$path" >"$WORK/status"
}
expect_status() { [ "$(cat "$WORK/status")" = "$1" ] || { cat "$WORK/body" >&2; fail "HTTP $(cat "$WORK/status"), expected $1"; }; }

step "the phone's request waits and the API lists it"
expect_exit 4 phone SEP0000000000D1 --state "$WORK/p1"
api GET /api/v1/offline/requests "$(cat "$WORK/viewer.txt")"
expect_status 200
[ "$(jq '.items | length' "$WORK/body")" = 1 ] || { cat "$WORK/body" >&2; fail "expected one waiting request"; }
[ "$(jq -r '.items[0].device' "$WORK/body")" = SEP0000000000D1 ] || fail "the request is not the phone's"

step "export as .tgz, sign with the offline CA"
api GET /api/v1/offline/export "$(cat "$WORK/viewer.txt")"
expect_status 200
mkdir -p "$WORK/export"
tar xzf "$WORK/body" -C "$WORK/export"
[ -f "$WORK/export/SEP0000000000D1.csr" ] || fail "the export lacks the request"
# No member with a path (tar-slip), and the manifest is CSV naming each request's file.
if tar tzf "$WORK/body" | grep -e / -e '^\.'; then fail "the archive has a member with a path"; fi
contains "$WORK/export/manifest.csv" "SEP0000000000D1,"
contains "$WORK/export/manifest.csv" ",SEP0000000000D1.csr"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$CA/leaf.ext"
openssl x509 -req -in "$WORK/export/SEP0000000000D1.csr" -CA "$CA/int.pem" -CAkey "$CA/int.key" \
  -CAcreateserial -days 365 -sha256 -extfile "$CA/leaf.ext" -outform DER -out "$WORK/signed.der" 2>/dev/null

step "import: junk is refused in words, a viewer may not, the signed certificate goes in"
echo "not a certificate" >"$WORK/junk.pem"
api POST "/api/v1/offline/import?filename=junk.pem" "$(cat "$WORK/token.txt")" --data-binary @"$WORK/junk.pem"
expect_status 400
contains "$WORK/body" "junk.pem"
api POST "/api/v1/offline/import?filename=signed.der" "$(cat "$WORK/viewer.txt")" --data-binary @"$WORK/signed.der"
expect_status 403
api POST "/api/v1/offline/import?filename=signed.der" "$(cat "$WORK/token.txt")" --data-binary @"$WORK/signed.der"
expect_status 200
[ "$(jq '.imported' "$WORK/body")" = 1 ] || { cat "$WORK/body" >&2; fail "expected one certificate imported"; }

step "a certificate for another device's name is refused, naming the reason"
openssl x509 -req -in "$WORK/export/SEP0000000000D1.csr" -CA "$CA/int.pem" -CAkey "$CA/int.key" \
  -CAcreateserial -days 365 -sha256 -extfile "$CA/leaf.ext" -subj "/CN=SEP0000000000FF" -outform DER \
  -out "$WORK/wrong-name.der" 2>/dev/null
api POST "/api/v1/offline/import?filename=wrong-name.der" "$(cat "$WORK/token.txt")" --data-binary @"$WORK/wrong-name.der"
expect_status 400
contains "$WORK/body" "not the device SEP0000000000D1"

step "the phone installs it, with the intermediate"
expect_exit 0 phone SEP0000000000D1 --state "$WORK/p1"
openssl verify -CAfile "$CA/root.pem" -untrusted "$CA/int.pem" "$WORK/p1/lsc.pem" >/dev/null ||
  fail "the LSC does not chain to the offline root"
"$OPENCAPF" device show SEP0000000000D1 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Success"
api GET /api/v1/offline/requests "$(cat "$WORK/viewer.txt")"
[ "$(jq '.items | length' "$WORK/body")" = 0 ] || fail "the request still waits"
echo "offline_api_end_to_end: passed"
