#!/usr/bin/env bash
# End to end, as an administrator would do it: the real `opencapf` binary initialises a data
# directory, serves phones on loopback TLS, schedules operations with the CLI while the server runs,
# and the simulated phone (`opencapf phone`) installs, uses, fetches and deletes its LSC. OpenSSL
# checks every certificate. Usage: cli_end_to_end.sh /path/to/opencapf
set -euo pipefail

OPENCAPF=${1:?usage: cli_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

DATA=$WORK/data
export OPENCAPF_DATA=$DATA
PHONE=SEP001122334455

step "init: the CAPF certificate is a CA with pathlen:0 and keyCertSign"
"$OPENCAPF" init --subject "CN=CAPF-e2e,O=opencapf e2e,OU=Voice,L=Loopback,C=NZ" --days 400 >"$WORK/init.txt"
contains "$WORK/init.txt" "CN=CAPF-e2e"
"$OPENCAPF" ca export >"$WORK/capf.pem"
openssl x509 -in "$WORK/capf.pem" -noout -text >"$WORK/capf.txt"
contains "$WORK/capf.txt" "CA:TRUE, pathlen:0"
contains "$WORK/capf.txt" "Digital Signature, Certificate Sign"
[ "$(stat -c %a "$DATA/capf-key.pem")" = "600" ] || fail "the CAPF key is not mode 0600"
expect_exit 1 "$OPENCAPF" init
contains "$WORK/out.txt" "already holds a CAPF identity"
"$OPENCAPF" trust list capf-trust >"$WORK/trust.txt"
contains "$WORK/trust.txt" "CN=CAPF-e2e"
"$OPENCAPF" trust list callmanager-trust >"$WORK/trust.txt"
contains "$WORK/trust.txt" "CN=CAPF-e2e"

step "serve on an ephemeral loopback port"
start_server

step "unknown device and no operation"
expect_exit 3 phone SEP0000000000AA --state "$WORK/phone-unknown"
"$OPENCAPF" device set $PHONE --description "lab phone" >/dev/null
expect_exit 2 phone $PHONE --state "$WORK/phone"

step "install by authentication string: a wrong string fails, the right one installs"
"$OPENCAPF" device set $PHONE --op install --auth string --auth-string 123456 --key-order ec --ec-bits 256 >/dev/null
expect_exit 1 phone $PHONE --state "$WORK/phone" --auth-string 999999
"$OPENCAPF" device show $PHONE >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Failed: Invalid Authentication String"
expect_exit 0 phone $PHONE --state "$WORK/phone" --auth-string 123456
"$OPENCAPF" device show $PHONE >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Success"
contains "$WORK/show.txt" "No Pending Operation"

step "the LSC chains to the CAPF certificate and follows the profile"
LSC=$WORK/phone/lsc.pem
openssl verify -CAfile "$WORK/capf.pem" "$LSC" >/dev/null || fail "the LSC does not verify against the CAPF certificate"
openssl x509 -in "$LSC" -noout -text >"$WORK/lsc.txt"
contains "$WORK/lsc.txt" "Issuer: CN = CAPF-e2e, O = opencapf e2e, OU = Voice, L = Loopback, C = NZ"
contains "$WORK/lsc.txt" "Subject: CN = $PHONE, O = opencapf e2e, OU = Voice, L = Loopback, C = NZ"
contains "$WORK/lsc.txt" "URI:$PHONE"
contains "$WORK/lsc.txt" "TLS Web Server Authentication, TLS Web Client Authentication, IPSec End System"
contains "$WORK/lsc.txt" "CA:FALSE"
contains "$WORK/lsc.txt" "Digital Signature, Key Encipherment"
contains "$WORK/lsc.txt" "X509v3 Subject Key Identifier"
contains "$WORK/lsc.txt" "X509v3 Authority Key Identifier"
contains "$WORK/lsc.txt" "ASN1 OID: prime256v1"
SERIAL1=$(openssl x509 -in "$LSC" -noout -serial | cut -d= -f2)
[ ${#SERIAL1} -ge 30 ] || fail "serial $SERIAL1 is shorter than 128 bits"

step "renew by existing LSC (RSA this time)"
"$OPENCAPF" device set $PHONE --op install --auth lsc --key-order rsa --rsa-bits 2048 >/dev/null
expect_exit 0 phone $PHONE --state "$WORK/phone"
SERIAL2=$(openssl x509 -in "$LSC" -noout -serial | cut -d= -f2)
[ "$SERIAL1" != "$SERIAL2" ] || fail "the renewed LSC has the old serial"
openssl x509 -in "$LSC" -noout -text >"$WORK/pipe.txt"
grep -q "Public-Key: (2048 bit)" "$WORK/pipe.txt" || fail "the renewed LSC is not RSA-2048"
"$OPENCAPF" device show $PHONE --json >"$WORK/show.json"
contains "$WORK/show.json" "\"state\": \"revoked\""

step "install by MIC: untrusted first, then trusted"
expect_exit 0 "$OPENCAPF" phone SEP00112233BBBB --state "$WORK/phone2" --make-mic --mfg-ca "$WORK/mfg"
"$OPENCAPF" device set SEP00112233BBBB --op install --auth mic >/dev/null
expect_exit 1 phone SEP00112233BBBB --state "$WORK/phone2"
"$OPENCAPF" device show SEP00112233BBBB >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Failed: Invalid MIC"
"$OPENCAPF" trust add mic-trust "$WORK/mfg/mfg-ca.pem" >/dev/null
"$OPENCAPF" device set SEP00112233BBBB --op install --auth mic >/dev/null
expect_exit 0 phone SEP00112233BBBB --state "$WORK/phone2"

step "troubleshoot collects the LSC and the MIC"
"$OPENCAPF" device set SEP00112233BBBB --op troubleshoot >/dev/null
expect_exit 0 phone SEP00112233BBBB --state "$WORK/phone2"
"$OPENCAPF" device show SEP00112233BBBB --history >"$WORK/show.txt"
contains "$WORK/show.txt" "Troubleshoot Success"
contains "$WORK/show.txt" "MIC: subject CN=CP-8865-SEP00112233BBBB"

step "delete removes the phone's LSC"
"$OPENCAPF" device set $PHONE --op delete >/dev/null
expect_exit 0 phone $PHONE --state "$WORK/phone"
[ ! -e "$LSC" ] || fail "the phone still holds its LSC after a delete"
"$OPENCAPF" device show $PHONE >"$WORK/show.txt"
contains "$WORK/show.txt" "Delete Success"

step "a deadline in the past fails the operation as late"
"$OPENCAPF" device set $PHONE --op install --auth null --deadline 2020-01-01 >/dev/null 2>&1
expect_exit 1 phone $PHONE --state "$WORK/phone"
"$OPENCAPF" device show $PHONE >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Failed: User Initiated Request Late"

step "bad CLI input says what to type instead"
expect_exit 2 "$OPENCAPF" device set SEP12 --op install
contains "$WORK/out.txt" "12 hex digits"
expect_exit 2 "$OPENCAPF" device set $PHONE --op renew
contains "$WORK/out.txt" "use install, delete, troubleshoot or none"
expect_exit 2 "$OPENCAPF" device set $PHONE --deadline tomorrow
contains "$WORK/out.txt" "+10d"
expect_exit 2 "$OPENCAPF" trust add tomcat-trust "$WORK/capf.pem"
contains "$WORK/out.txt" "capf-trust, mic-trust or callmanager-trust"
echo "not a certificate" >"$WORK/junk.pem"
expect_exit 2 "$OPENCAPF" trust add capf-trust "$WORK/junk.pem"
expect_exit 1 "$OPENCAPF" device show SEP0000000000FF
contains "$WORK/out.txt" "opencapf device list"

step "device list and JSON"
"$OPENCAPF" device list >"$WORK/list.txt"
contains "$WORK/list.txt" "SEP00112233BBBB"
contains "$WORK/list.txt" "2 device(s)"
"$OPENCAPF" device list --status failed --json >"$WORK/list.json"
contains "$WORK/list.json" "$PHONE"

step "ca show checks the CA profile; device rm keeps the device's certificates in the ledger"
"$OPENCAPF" ca show >"$WORK/ca.txt"
contains "$WORK/ca.txt" "CAPF-e2e"
contains "$WORK/ca.txt" "profile:     a valid CAPF CA"
expect_exit 0 "$OPENCAPF" device rm SEP00112233BBBB --json
contains "$WORK/out.txt" '{"removed":"SEP00112233BBBB"}'
expect_exit 1 "$OPENCAPF" device rm SEP00112233BBBB
contains "$WORK/out.txt" "no device SEP00112233BBBB: nothing removed"
expect_exit 0 "$OPENCAPF" device rm $PHONE
contains "$WORK/out.txt" "removed $PHONE"
"$OPENCAPF" device list >"$WORK/list.txt"
contains "$WORK/list.txt" "0 device(s)"
"$OPENCAPF" cert list --device SEP00112233BBBB >"$WORK/certs.txt"
contains "$WORK/certs.txt" "1 certificate(s)"

step "the server stops cleanly on SIGTERM"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "the server exited non-zero on SIGTERM"
BACKGROUND_PIDS=()
contains "$WORK/server.log" "stopping"
echo "PASS"
