#!/usr/bin/env bash
# The external-CA modes end to end, as an administrator runs them: the real `opencapf` server and
# simulated phones, real CA servers (an `openssl`-run offline CA, cfssl, pebble ACME, micromdm
# SCEP, the AD CS stand-in), switched with `opencapf issuer set` while the server runs. Every
# LSC is checked with `openssl verify` against the CA that signed it.
# Runs inside a private network namespace (the SCEP server binds every interface):
#   unshare -n sh -c 'ip link set lo up && exec ca_modes_end_to_end.sh OPENCAPF ADCS_STANDIN'
set -euo pipefail
OPENCAPF=${1:?usage: ca_modes_end_to_end.sh /path/to/opencapf /path/to/adcs_standin}
ADCS_STANDIN=${2:?usage: ca_modes_end_to_end.sh /path/to/opencapf /path/to/adcs_standin}
source "$(dirname "$0")/lib.sh"

export OPENCAPF_DATA=$WORK/data
CA=$WORK/ca
mkdir -p "$CA"

"$OPENCAPF" init --subject "CN=CAPF-modes,O=opencapf e2e,OU=Voice" >/dev/null
start_server
wait_log "issuer: capf"

# verify_lsc STATE_DIR ROOT [UNTRUSTED]: the phone's LSC chains to ROOT (through UNTRUSTED).
verify_lsc() {
  local args=(-CAfile "$2")
  [ $# -ge 3 ] && args+=(-untrusted "$3")
  openssl verify "${args[@]}" "$1/lsc.pem" >"$WORK/verify.txt" 2>&1 ||
    { cat "$WORK/verify.txt" >&2; fail "the LSC in $1 does not chain to $2"; }
}
# switch ARGS...: `opencapf issuer set ARGS...` and wait until the running server uses it.
switch() {
  local before
  before=$(grep -c "issuer now:" "$WORK/server.log" || true)
  "$OPENCAPF" issuer set "$@" >"$WORK/set.txt" 2>&1 || { cat "$WORK/set.txt" >&2; fail "issuer set $* failed"; }
  for _ in $(seq 1 100); do
    [ "$(grep -c "issuer now:" "$WORK/server.log" || true)" -gt "$before" ] && return 0
    sleep 0.1
  done
  fail "the server did not pick up the new issuer"
}
# enroll CODE DEVICE STATE [OPTION...]: schedules an install by null string for DEVICE (with the
# extra `device set` options) and runs the phone, its state in $WORK/STATE; it must exit CODE.
enroll() {
  local code=$1 device=$2 state=$3
  shift 3
  "$OPENCAPF" device set "$device" --op install --auth null "$@" >/dev/null
  expect_exit "$code" phone "$device" --state "$WORK/$state"
}
# sign_csr CSR OUT: what an offline CA does (openssl, LSC-like extensions, 1 year), DER out.
sign_csr() {
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$CA/leaf.ext"
  openssl x509 -req -in "$1" -CA "$CA/offline-root.pem" -CAkey "$CA/offline-root.key" \
    -CAcreateserial -days 365 -sha256 -extfile "$CA/leaf.ext" -outform DER -out "$2" 2>/dev/null
}

step "offline CA: prerequisites are checked before the switch"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CA/offline-root.key" -out "$CA/offline-root.pem" \
  -days 30 -subj "/CN=Offline Root/O=Example" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
expect_exit 2 "$OPENCAPF" issuer set --mode offline --ca-chain "$CA/offline-root.pem"
contains "$WORK/out.txt" "is not in capf-trust: run \`opencapf trust add capf-trust"
contains "$WORK/out.txt" "is not in callmanager-trust"
contains "$WORK/out.txt" "nothing changed"
"$OPENCAPF" trust add capf-trust "$CA/offline-root.pem" >/dev/null
"$OPENCAPF" trust add callmanager-trust "$CA/offline-root.pem" >/dev/null
switch --mode offline --ca-chain "$CA/offline-root.pem"
"$OPENCAPF" issuer show >"$WORK/show.txt"
contains "$WORK/show.txt" "prerequisites:         ready"

step "offline CA: the request waits, is exported, signed, imported as a .tgz of .der, delivered"
enroll 4 SEP0000000000A1 p1
[ -f "$WORK/p1/pending-key.pem" ] || fail "the phone did not keep its pending key"
"$OPENCAPF" device show SEP0000000000A1 >"$WORK/show.txt"
contains "$WORK/show.txt" "Operation Pending"
contains "$WORK/show.txt" "offline mode"
expect_exit 4 phone SEP0000000000A1 --state "$WORK/p1"   # still waiting: no new key
[ "$("$OPENCAPF" offline count)" = "1" ] || fail "offline count is not 1"
"$OPENCAPF" offline export "$WORK/export" >/dev/null
[ -f "$WORK/export/SEP0000000000A1.csr" ] || fail "no exported request"
tar tzf "$WORK/export/capf-requests.tgz" >"$WORK/pipe.txt"
grep -q SEP0000000000A1.csr "$WORK/pipe.txt" || fail "the .tgz lacks the request"
openssl req -in "$WORK/export/SEP0000000000A1.csr" -verify -noout >"$WORK/pipe.txt" 2>&1 || true
grep -q "verify OK" "$WORK/pipe.txt" ||
  fail "the exported request is not a valid phone-signed PKCS#10"
mkdir -p "$WORK/signed"
sign_csr "$WORK/export/SEP0000000000A1.csr" "$WORK/signed/SEP0000000000A1.der"
echo "not a certificate" >"$WORK/signed/junk.der"
expect_exit 1 "$OPENCAPF" offline import "$WORK/signed"
contains "$WORK/out.txt" "nothing was imported"
rm "$WORK/signed/junk.der"
(cd "$WORK/signed" && tar czf "$WORK/signed.tgz" ./*.der)
"$OPENCAPF" offline import "$WORK/signed.tgz" >"$WORK/out.txt"
contains "$WORK/out.txt" "1 imported"
"$OPENCAPF" audit >"$WORK/audit.txt"
contains "$WORK/audit.txt" "offline.import"
contains "$WORK/audit.txt" "issuer.set"
expect_exit 0 phone SEP0000000000A1 --state "$WORK/p1"
verify_lsc "$WORK/p1" "$CA/offline-root.pem"
[ ! -f "$WORK/p1/pending-key.pem" ] || fail "the pending key was not cleared"
"$OPENCAPF" device show SEP0000000000A1 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Success"
contains "$WORK/show.txt" "state:         delivered"

step "offline CA: a superseded request's certificate is stale; a PEM folder imports"
enroll 4 SEP0000000000A2 p2
"$OPENCAPF" offline export "$WORK/export-old" >/dev/null
enroll 4 SEP0000000000A2 p2   # start over
"$OPENCAPF" offline export "$WORK/export-new" >/dev/null
mkdir -p "$WORK/old" "$WORK/new"
sign_csr "$WORK/export-old/SEP0000000000A2.csr" "$WORK/old/a2.der"
openssl x509 -inform DER -in "$WORK/old/a2.der" -out "$WORK/old/a2.pem"
rm "$WORK/old/a2.der"
"$OPENCAPF" offline import "$WORK/old" >"$WORK/out.txt"
contains "$WORK/out.txt" "1 stale"
"$OPENCAPF" offline list --stale >"$WORK/out.txt"
contains "$WORK/out.txt" "SEP0000000000A2"
sign_csr "$WORK/export-new/SEP0000000000A2.csr" "$WORK/new/a2.der"
openssl x509 -inform DER -in "$WORK/new/a2.der" -out "$WORK/new/a2.pem"
rm "$WORK/new/a2.der"
"$OPENCAPF" offline import "$WORK/new" >/dev/null
expect_exit 0 phone SEP0000000000A2 --state "$WORK/p2"
verify_lsc "$WORK/p2" "$CA/offline-root.pem"

step "online CA, CFSSL: EC through an HMAC-protected profile"
mkdir -p "$CA/cfssl"
(cd "$CA/cfssl" &&
  echo '{"CN":"Test CFSSL Online CA","key":{"algo":"rsa","size":2048},"names":[{"O":"CAPF test"}]}' >ca-csr.json &&
  cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca)
cat >"$CA/cfssl/config.json" <<'JSON'
{"signing":{"default":{"expiry":"8760h","usages":["signing","key encipherment","client auth"]},
  "profiles":{"phone":{"expiry":"8760h","usages":["digital signature","key encipherment","client auth","server auth"],"auth_key":"k1"}}},
 "auth_keys":{"k1":{"type":"standard","key":"0123456789ABCDEF0123456789ABCDEF"}}}
JSON
echo 0123456789ABCDEF0123456789ABCDEF >"$CA/cfssl/hmac.hex"
CFSSL_PORT=$(free_port)
background "$WORK/cfssl.log" cfssl serve -address 127.0.0.1 -port "$CFSSL_PORT" \
  -ca "$CA/cfssl/ca.pem" -ca-key "$CA/cfssl/ca-key.pem" -config "$CA/cfssl/config.json"
CFSSL_PID=${BACKGROUND_PIDS[-1]}
wait_port "$CFSSL_PORT"
"$OPENCAPF" trust add capf-trust "$CA/cfssl/ca.pem" >/dev/null
"$OPENCAPF" trust add callmanager-trust "$CA/cfssl/ca.pem" >/dev/null
switch --mode online --protocol cfssl --url "http://127.0.0.1:$CFSSL_PORT" --profile phone \
  --password-file "$CA/cfssl/hmac.hex" --ca-chain "$CA/cfssl/ca.pem" --retries 0 --timeout 5
enroll 0 SEP0000000000B1 b1 --key-order ec --ec-bits 384
verify_lsc "$WORK/b1" "$CA/cfssl/ca.pem"
openssl x509 -in "$WORK/b1/lsc.pem" -noout -text >"$WORK/pipe.txt"
grep -q "secp384r1" "$WORK/pipe.txt" || fail "the CFSSL LSC is not EC P-384"

step "online CA down: CA Communication Failure, the request is kept"
kill "$CFSSL_PID"; wait "$CFSSL_PID" 2>/dev/null || true
enroll 1 SEP0000000000B2 b2
"$OPENCAPF" device show SEP0000000000B2 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Failed: CA Communication Failure"
contains "$WORK/show.txt" "state:         waiting"
contains "$WORK/show.txt" "last CA error:"

step "online CA, ACME (pebble): EC P-256"
mkdir -p "$CA/pebble"
(cd "$CA/pebble" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tlsca.key -out tlsca.pem \
    -days 30 -subj "/CN=pebble test TLS CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr \
    -subj /CN=localhost 2>/dev/null &&
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >tls.ext &&
  openssl x509 -req -in tls.csr -CA tlsca.pem -CAkey tlsca.key -CAcreateserial -out tls.pem \
    -days 30 -extfile tls.ext 2>/dev/null)
ACME_PORT=$(free_port); ACME_MGMT=$(free_port)
cat >"$CA/pebble/config.json" <<JSON
{"pebble":{"listenAddress":"127.0.0.1:$ACME_PORT","managementListenAddress":"127.0.0.1:$ACME_MGMT",
 "certificate":"$CA/pebble/tls.pem","privateKey":"$CA/pebble/tls.key","httpPort":$(free_port),
 "tlsPort":$(free_port),"ocspResponderURL":"","externalAccountBindingRequired":false}}
JSON
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
  background "$WORK/pebble.log" pebble -config "$CA/pebble/config.json"
wait_port "$ACME_PORT"; wait_port "$ACME_MGMT"
curl -s --cacert "$CA/pebble/tlsca.pem" "https://localhost:$ACME_MGMT/intermediates/0" >"$CA/pebble/chain.pem"
curl -s --cacert "$CA/pebble/tlsca.pem" "https://localhost:$ACME_MGMT/roots/0" >>"$CA/pebble/chain.pem"
openssl x509 -in "$CA/pebble/chain.pem" -noout || fail "cannot fetch pebble's issuing chain"
expect_exit 2 "$OPENCAPF" issuer set --mode online --protocol acme --url "https://localhost:$ACME_PORT/dir" \
  --ca-chain "$CA/pebble/chain.pem" --acme-suffix phones.test
contains "$WORK/out.txt" "capf-trust"
csplit -s -z -f "$CA/pebble/part" "$CA/pebble/chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
PEBBLE_ROOT=$(ls "$CA/pebble"/part* | tail -n1)
"$OPENCAPF" trust add capf-trust "$PEBBLE_ROOT" >/dev/null
"$OPENCAPF" trust add callmanager-trust "$PEBBLE_ROOT" >/dev/null
"$OPENCAPF" trust add capf-trust "$CA/pebble/tlsca.pem" --label "pebble https" >/dev/null
switch --mode online --protocol acme --url "https://localhost:$ACME_PORT/dir" \
  --ca-chain "$CA/pebble/chain.pem" --acme-suffix phones.test
enroll 0 SEP0000000000C1 c1 --key-order ec
verify_lsc "$WORK/c1" "$PEBBLE_ROOT" "$CA/pebble/chain.pem"
openssl x509 -in "$WORK/c1/lsc.pem" -noout -text >"$WORK/pipe.txt"
grep -q "DNS:sep0000000000c1.phones.test" "$WORK/pipe.txt" ||
  fail "the ACME LSC does not carry the identifier"

step "online CA, SCEP (micromdm): RSA; EC refused before the phone makes a key"
scepserver ca -init -depot "$CA/depot" -keySize 2048 -organization "Test SCEP CA" >/dev/null 2>&1
SCEP_PORT=$(free_port)
background "$WORK/scep.log" scepserver -depot "$CA/depot" -port "$SCEP_PORT" -challenge s3cret -allowrenew 0
wait_port "$SCEP_PORT"
echo s3cret >"$CA/scep-challenge"
"$OPENCAPF" trust add capf-trust "$CA/depot/ca.pem" >/dev/null
"$OPENCAPF" trust add callmanager-trust "$CA/depot/ca.pem" >/dev/null
switch --mode online --protocol scep --url "http://127.0.0.1:$SCEP_PORT/scep" \
  --password-file "$CA/scep-challenge" --ca-chain "$CA/depot/ca.pem"
enroll 0 SEP0000000000D1 d1 --key-order rsa
verify_lsc "$WORK/d1" "$CA/depot/ca.pem"
# The request queue keeps the phone's request without the challenge password the phone signed.
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT csr_pem FROM certificate_requests WHERE device_name = ?",
                 ("SEP0000000000D1",)).fetchone()[0])' "$OPENCAPF_DATA/registry.db" >"$WORK/stored-csr.pem"
openssl req -in "$WORK/stored-csr.pem" -noout -text >"$WORK/stored-csr.txt" 2>&1 ||
  { cat "$WORK/stored-csr.pem" "$WORK/stored-csr.txt" >&2; fail "the stored request does not parse"; }
contains "$WORK/stored-csr.txt" "challengePassword"
if grep -q s3cret "$WORK/stored-csr.txt"; then fail "the stored request keeps the SCEP challenge"; fi
enroll 1 SEP0000000000D2 d2 --key-order ec
contains "$WORK/out.txt" "END_SESSION 7"
[ ! -f "$WORK/d2/pending-key.pem" ] || fail "the phone was asked for an EC key the CA cannot issue"
"$OPENCAPF" device show SEP0000000000D2 >"$WORK/show.txt"
contains "$WORK/show.txt" "cannot issue any key"

step "online CA, AD CS (stand-in, NTLM): issued, pending then approved, denied"
ADCS_PORT=$(free_port)
mkdir -p "$CA/adcs"
mkfifo "$CA/adcs/admin"       # the CA administrator's console: "approve N"
exec 7<>"$CA/adcs/admin"
# (Started here, not with `background`: an asynchronous command's stdin is /dev/null unless it
# is redirected on that very command.)
"$ADCS_STANDIN" --port "$ADCS_PORT" --user 'EXAMPLE\capf' --password 'S3cret!' \
  --template CiscoRA=issue --template Manual=pending --template Refused=deny \
  --ca-out "$CA/adcs/ca.pem" <"$CA/adcs/admin" >"$WORK/adcs.log" 2>&1 &
BACKGROUND_PIDS+=($!)
wait_port "$ADCS_PORT"
for _ in $(seq 1 50); do [ -s "$CA/adcs/ca.pem" ] && break; sleep 0.1; done
echo 'S3cret!' >"$CA/adcs-password"
"$OPENCAPF" trust add capf-trust "$CA/adcs/ca.pem" >/dev/null
"$OPENCAPF" trust add callmanager-trust "$CA/adcs/ca.pem" >/dev/null
switch --mode online --protocol adcs --url "https://localhost:$ADCS_PORT/certsrv" --username 'EXAMPLE\capf' \
  --password-file "$CA/adcs-password" --template CiscoRA --ca-chain "$CA/adcs/ca.pem"
enroll 0 SEP0000000000E1 e1
verify_lsc "$WORK/e1" "$CA/adcs/ca.pem"
switch --mode online --protocol adcs --url "https://localhost:$ADCS_PORT/certsrv" --template Manual
enroll 4 SEP0000000000E2 e2
"$OPENCAPF" device show SEP0000000000E2 >"$WORK/show.txt"
contains "$WORK/show.txt" "taken under submission"
REQ=$(sed -n 's/.*CA request id: *\([0-9]*\).*/\1/p' "$WORK/show.txt")
[ -n "$REQ" ] || fail "device show gives no CA request id"
echo "approve $REQ" >&7
for _ in $(seq 1 50); do grep -q "approved $REQ" "$WORK/adcs.log" && break; sleep 0.1; done
grep -q "approved $REQ" "$WORK/adcs.log" || { cat "$WORK/adcs.log" >&2; fail "the stand-in did not approve request $REQ"; }
expect_exit 0 phone SEP0000000000E2 --state "$WORK/e2"
verify_lsc "$WORK/e2" "$CA/adcs/ca.pem"
switch --mode online --protocol adcs --url "https://localhost:$ADCS_PORT/certsrv" --template Refused
enroll 1 SEP0000000000E3 e3
"$OPENCAPF" device show SEP0000000000E3 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Failed: CA Rejected Connection"
contains "$WORK/show.txt" "Denied by Policy Module  0x"

step "back to CAPF mode: no restart, earlier requests still listed"
switch --mode capf
enroll 0 SEP0000000000F1 f1
verify_lsc "$WORK/f1" "$WORK/capf.pem"
"$OPENCAPF" device show SEP0000000000B2 >"$WORK/show.txt"
contains "$WORK/show.txt" "state:         waiting"
echo "PASS"
