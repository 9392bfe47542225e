#!/usr/bin/env bash
# The trust lists end to end with the real binary: the signer's life (create, rotate, retire),
# `itl build` / `ctl build` read back by `itl show` and by itl_check.py (an independent reader
# written from docs/trust-lists.md that verifies the signature with openssl), the rotation rule,
# .sgn files, and bad input refused with a clear error.
# Usage: trust_list_end_to_end.sh /path/to/opencapf
set -euo pipefail

OPENCAPF=${1:?usage: trust_list_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/../integration/lib.sh"
CHECK=$(dirname "$0")/itl_check.py

DATA=$WORK/data
export OPENCAPF_DATA=$DATA
ITL=$WORK/ITLFile.tlv
# json FILE EXPR: a value from a JSON file (EXPR is Python over `j`).
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# check FILE: itl_check.py's summary of FILE in $WORK/check.json (fails when it does not verify).
check() { python3 "$CHECK" "$1" >"$WORK/check.json" || fail "itl_check.py refused $1"; }
signer_serial() { "$OPENCAPF" itl signer show --json >"$WORK/signers.json"; json "$WORK/signers.json" "j[$1]['serial']"; }

step "no trust list without a signer; itl signer create makes one"
"$OPENCAPF" init --data "$WORK/other" >/dev/null
rm "$WORK/other/itl-signer.pem" "$WORK/other/itl-signer-key.pem"
expect_exit 1 "$OPENCAPF" itl build --data "$WORK/other" --out "$ITL"
contains "$WORK/out.txt" "run \`opencapf itl signer create\`"
[ ! -e "$ITL" ] || fail "a failed build left a file"
"$OPENCAPF" itl signer create --data "$WORK/other" >"$WORK/out.txt"
contains "$WORK/out.txt" "created signer CN=ITLRecovery-"

step "init makes the signer: RSA 2048, key 0600"
"$OPENCAPF" init --subject "CN=CAPF-itl,O=opencapf e2e" >"$WORK/out.txt"
contains "$WORK/out.txt" "trust-list signer (SAST): CN=ITLRecovery-"
[ "$(stat -c %a "$DATA/itl-signer-key.pem")" = "600" ] || fail "the signer key is not 0600"
openssl x509 -in "$DATA/itl-signer.pem" -noout -text >"$WORK/signer.txt"
contains "$WORK/signer.txt" "Public-Key: (2048 bit)"
expect_exit 1 "$OPENCAPF" itl signer create
contains "$WORK/out.txt" "already holds a trust-list signer"
OLD=$(signer_serial 0)

step "itl build: SAST, CAPF and the PBX's certificate, read by itl_check.py"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/pbx.key" -out "$WORK/pbx.pem" \
  -subj "/CN=pbx.example" -days 30 2>/dev/null
"$OPENCAPF" itl build --out "$ITL" --record ccm+tftp="$WORK/pbx.pem" >"$WORK/out.txt"
contains "$WORK/out.txt" "wrote $ITL"
[ "$(stat -c %a "$ITL")" = "644" ] || fail "the ITL is not world-readable for TFTP"
check "$ITL"
[ "$(json "$WORK/check.json" "j['filename']")" = "ITLFile.tlv" ] || fail "file name"
[ "$(json "$WORK/check.json" "j['digest']")" = "sha512" ] || fail "digest"
[ "$(json "$WORK/check.json" "' '.join(r['function'] for r in j['records'])")" = "SAST CAPF CCM+TFTP" ] ||
  fail "records: $(cat "$WORK/check.json")"
[ "$(json "$WORK/check.json" "j['signer_serial']")" = "$OLD" ] || fail "signed by another serial"
"$OPENCAPF" ca export >"$WORK/capf.pem"
CAPF_SHA=$(openssl x509 -in "$WORK/capf.pem" -outform DER | sha256sum | cut -d' ' -f1)
[ "$(json "$WORK/check.json" "j['records'][1]['certificate_sha256']")" = "$CAPF_SHA" ] ||
  fail "the CAPF record is not the CAPF certificate"
"$OPENCAPF" itl show "$ITL" >"$WORK/show.txt"
contains "$WORK/show.txt" "signature      valid, signed by CN=ITLRecovery-"
contains "$WORK/show.txt" "record 3 (offset"
contains "$WORK/show.txt" "CCM+TFTP"
"$OPENCAPF" itl show --json "$ITL" >"$WORK/show.json"
[ "$(json "$WORK/show.json" "j['signature']['verified']")" = "True" ] || fail "show --json"

step "old phones: sha1 and signer version 1.0"
expect_exit 2 "$OPENCAPF" itl build --out "$WORK/old.tlv" --signer-version 1.0
contains "$WORK/out.txt" "know only sha1"
"$OPENCAPF" itl build --out "$WORK/old.tlv" --digest sha1 --signer-version 1.0 >/dev/null
check "$WORK/old.tlv"
[ "$(json "$WORK/check.json" "j['digest'] + ' ' + j['signer_version']")" = "sha1 1.0" ] ||
  fail "sha1/1.0"

step "rotate: the next file is signed by the OLD signer and lists both"
"$OPENCAPF" itl signer rotate >"$WORK/out.txt"
contains "$WORK/out.txt" "next signer CN=ITLRecovery-"
NEW=$(signer_serial 1)
[ "$NEW" != "$OLD" ] || fail "rotate made no new signer"
expect_exit 1 "$OPENCAPF" itl signer rotate
contains "$WORK/out.txt" "a rotation is under way"
"$OPENCAPF" itl build --out "$ITL" >/dev/null
check "$ITL"
[ "$(json "$WORK/check.json" "j['signer_serial']")" = "$OLD" ] || fail "not signed by the old signer"
[ "$(json "$WORK/check.json" "' '.join(r['serial'] for r in j['records'] if r['function'] == 'SAST')")" = "$OLD $NEW" ] ||
  fail "both signers are not listed: $(cat "$WORK/check.json")"

step "retire: the new signer signs, the old one is gone"
"$OPENCAPF" itl signer retire >"$WORK/out.txt"
contains "$WORK/out.txt" "signing with"
"$OPENCAPF" itl build --out "$ITL" >/dev/null
check "$ITL"
[ "$(json "$WORK/check.json" "j['signer_serial']")" = "$NEW" ] || fail "not signed by the new signer"
[ "$(json "$WORK/check.json" "' '.join(r['serial'] for r in j['records'] if r['function'] == 'SAST')")" = "$NEW" ] ||
  fail "the old signer is still listed"
expect_exit 1 "$OPENCAPF" itl signer retire
contains "$WORK/out.txt" "no rotation is under way"

step "ctl build"
"$OPENCAPF" ctl build --out "$WORK/CTLFile.tlv" >/dev/null
check "$WORK/CTLFile.tlv"
[ "$(json "$WORK/check.json" "j['filename']")" = "CTLFile.tlv" ] || fail "CTL file name"
"$OPENCAPF" ctl show "$WORK/CTLFile.tlv" >"$WORK/show.txt"
contains "$WORK/show.txt" "signature      valid"

step "ca regenerate: itl build warns about the file on disk, lists both CAPF certificates"
"$OPENCAPF" ca regenerate >/dev/null
"$OPENCAPF" itl build --out "$ITL" >"$WORK/out.txt" 2>"$WORK/err.txt"
contains "$WORK/err.txt" "does not list the active CAPF certificate"
check "$ITL"
[ "$(json "$WORK/check.json" "sum(r['function'] == 'CAPF' for r in j['records'])")" = "2" ] ||
  fail "the previous CAPF certificate is not listed during the overlap"
"$OPENCAPF" itl build --out "$ITL" >"$WORK/out.txt" 2>"$WORK/err.txt"
[ ! -s "$WORK/err.txt" ] || fail "a warning for an up-to-date file: $(cat "$WORK/err.txt")"

step "sgn sign and show"
printf '<device><fullConfig>true</fullConfig></device>\n' >"$WORK/SEP001122334455.cnf.xml"
"$OPENCAPF" sgn sign "$WORK/SEP001122334455.cnf.xml" >"$WORK/out.txt"
contains "$WORK/out.txt" "wrote $WORK/SEP001122334455.cnf.xml.sgn"
python3 "$CHECK" --sgn "$WORK/SEP001122334455.cnf.xml.sgn" "$DATA/itl-signer.pem" >"$WORK/check.json" ||
  fail "itl_check.py refused the .sgn file"
[ "$(json "$WORK/check.json" "j['filename']")" = "SEP001122334455.cnf.xml" ] || fail "sgn file name"
"$OPENCAPF" sgn show "$WORK/SEP001122334455.cnf.xml.sgn" >"$WORK/show.txt"
contains "$WORK/show.txt" "signature      valid"
cp "$WORK/SEP001122334455.cnf.xml.sgn" "$WORK/bad.sgn"
printf 'X' >>"$WORK/bad.sgn"
expect_exit 1 "$OPENCAPF" sgn show "$WORK/bad.sgn"
contains "$WORK/out.txt" "NOT VALID: the signature does not verify"

step "an encrypted CAPF key: the signer key is encrypted with the same passphrase"
CAPF_PASS=xyzzy-e2e "$OPENCAPF" init --data "$WORK/enc" --passphrase-env CAPF_PASS >/dev/null
contains "$WORK/enc/itl-signer-key.pem" "BEGIN ENCRYPTED PRIVATE KEY"
expect_exit 2 "$OPENCAPF" itl build --data "$WORK/enc" --out "$WORK/enc.tlv"
contains "$WORK/out.txt" "CAPF_PASS"
CAPF_PASS=xyzzy-e2e "$OPENCAPF" itl build --data "$WORK/enc" --out "$WORK/enc.tlv" >/dev/null
check "$WORK/enc.tlv"

step "[itl] publish_dir: the server keeps ITLFile.tlv and CTLFile.tlv current"
sed -i 's|^publish_dir = ""|publish_dir = "tftp"|; s|^publish_ctl = false|publish_ctl = true|' "$DATA/opencapf.toml"
contains "$DATA/opencapf.toml" 'publish_dir = "tftp"'
contains "$DATA/opencapf.toml" 'publish_ctl = true'
mkdir -p "$DATA/tftp"
start_server
# wait_listing FILE EXPR: waits (15 s at most) until itl_check.py's summary of FILE satisfies EXPR.
wait_listing() {
  for _ in $(seq 1 150); do
    if [ -e "$1" ] && python3 "$CHECK" "$1" >"$WORK/check.json" 2>/dev/null &&
      [ "$(json "$WORK/check.json" "$2")" = "True" ]; then
      return 0
    fi
    sleep 0.1
  done
  fail "$1 never satisfied $2: $(cat "$WORK/check.json" 2>/dev/null)"
}
wait_listing "$DATA/tftp/ITLFile.tlv" "j['filename'] == 'ITLFile.tlv'"
wait_listing "$DATA/tftp/CTLFile.tlv" "j['filename'] == 'CTLFile.tlv'"
contains "$WORK/server.log" "trust lists published in $DATA/tftp"
"$OPENCAPF" itl signer rotate >/dev/null
wait_listing "$DATA/tftp/ITLFile.tlv" "sum(r['function'] == 'SAST' for r in j['records']) == 2"
"$OPENCAPF" itl signer retire >/dev/null
wait_listing "$DATA/tftp/ITLFile.tlv" "sum(r['function'] == 'SAST' for r in j['records']) == 1"
"$OPENCAPF" ca regenerate >/dev/null
wait_listing "$DATA/tftp/ITLFile.tlv" "sum(r['function'] == 'CAPF' for r in j['records']) == 3"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

step "bad input: clear errors, nothing written"
printf 'not a trust list' >"$WORK/garbage.tlv"
expect_exit 1 "$OPENCAPF" itl show "$WORK/garbage.tlv"
contains "$WORK/out.txt" "offset 0: not a trust-list or signed file"
head -c 700 "$ITL" >"$WORK/short.tlv"
expect_exit 1 "$OPENCAPF" itl show "$WORK/short.tlv"
contains "$WORK/out.txt" "is truncated: RECORD_LENGTH says"
cp "$ITL" "$WORK/tampered.tlv"
printf '\x01' | dd of="$WORK/tampered.tlv" bs=1 seek=$(($(stat -c %s "$ITL") - 1)) conv=notrunc 2>/dev/null
expect_exit 1 "$OPENCAPF" itl show "$WORK/tampered.tlv"
contains "$WORK/out.txt" "signature      NOT VALID"
cp "$ITL" "$WORK/before.tlv"
expect_exit 2 "$OPENCAPF" itl build --out "$ITL" --record bogus="$WORK/pbx.pem"
contains "$WORK/out.txt" "unknown function 'bogus'"
expect_exit 2 "$OPENCAPF" itl build --out "$ITL" --record ccm="$WORK/missing.pem"
contains "$WORK/out.txt" "missing.pem"
expect_exit 2 "$OPENCAPF" itl build --out "$ITL" --digest md5
contains "$WORK/out.txt" "use sha1 or sha512"
expect_exit 2 "$OPENCAPF" itl build --out "$ITL" --record capf="$WORK/capf.pem"
contains "$WORK/out.txt" "is already listed as CAPF"
cmp -s "$ITL" "$WORK/before.tlv" || fail "a refused build changed the file"

echo "trust_list_end_to_end: OK"
