#!/usr/bin/env bash
# The CAPF certificate as a CA, end to end, as an administrator runs it against the real server and
# simulated phones: a corporate root and intermediate made with `openssl` sign the CAPF request
# (refused without the CA extensions, accepted with them), a phone enrols through the intermediate,
# regeneration keeps an old LSC authenticating, a revoked LSC fails authentication and is listed
# in a CRL that OpenSSL verifies, renewal schedules an LSC about to expire, and SoftHSM2 holds an
# RSA and an EC CAPF key for full TLS installs. Usage: ca_lifecycle_end_to_end.sh /path/to/opencapf
set -euo pipefail
OPENCAPF=${1:?usage: ca_lifecycle_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

export OPENCAPF_DATA=$WORK/data
CA=$WORK/corp
mkdir -p "$CA"
# Short LSCs, so that renewal has something to find; the server checks for renewals every minute.
"$OPENCAPF" init --subject "CN=CAPF-life,O=opencapf e2e,OU=Voice" >/dev/null
sed -i 's/^validity_days = 365/validity_days = 3/; s/^renew_before_days = 0 /renew_before_days = 7 /' \
  "$OPENCAPF_DATA/opencapf.toml"
start_server
FIRST_CAPF=$WORK/capf-first.pem
cp "$WORK/capf.pem" "$FIRST_CAPF"

# lsc_serial STATE_DIR: the serial of the phone's LSC, as opencapf prints serials.
lsc_serial() { openssl x509 -in "$1/lsc.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^\(00\)*//'; }
# corp_sign CSR EXTFILE OUT: the corporate issuing CA signs CSR for 40 days with the extensions
# in EXTFILE, PEM to OUT.
corp_sign() {
  openssl x509 -req -in "$1" -CA "$CA/int.pem" -CAkey "$CA/int.key" -CAcreateserial \
    -days 40 -sha256 -extfile "$2" -out "$3" 2>/dev/null
}
# wait_identity SUBJECT: waits until new sessions get the CAPF certificate with this subject.
wait_identity() { wait_log "CAPF identity now: $1"; }

step "a phone enrols with the first, self-signed CAPF identity"
"$OPENCAPF" device set SEP0000000000D1 --op install --auth null >/dev/null
expect_exit 0 phone SEP0000000000D1 --state "$WORK/d1"
openssl verify -CAfile "$FIRST_CAPF" "$WORK/d1/lsc.pem" >/dev/null || fail "the first LSC does not verify"

step "a corporate CA signs the CAPF request from a web-server template: refused, nothing changes"
make_ca_pair "$CA" "Corp Root" "Corp Issuing CA" 50
"$OPENCAPF" ca csr >"$WORK/capf.csr"
openssl req -in "$WORK/capf.csr" -noout -text >"$WORK/csr.txt"
contains "$WORK/csr.txt" "CA:TRUE, pathlen:0"
contains "$WORK/csr.txt" "Digital Signature, Certificate Sign, CRL Sign"
contains "$WORK/csr.txt" "TLS Web Server Authentication, TLS Web Client Authentication"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
  >"$CA/web.ext"
corp_sign "$WORK/capf.csr" "$CA/web.ext" "$CA/capf-web.pem"
expect_exit 2 "$OPENCAPF" ca import "$CA/capf-web.pem" --chain "$CA/chain.pem"
contains "$WORK/out.txt" "nothing changed"
contains "$WORK/out.txt" "CA:TRUE"
contains "$WORK/out.txt" "keyCertSign"
"$OPENCAPF" ca export >"$WORK/now.pem"
cmp -s "$WORK/now.pem" "$FIRST_CAPF" || fail "a refused import changed the CAPF certificate"

step "a certificate for another key, and a chain that does not verify, are refused too"
openssl req -newkey rsa:2048 -nodes -keyout "$CA/other.key" -out "$CA/other.csr" -subj "/CN=Other" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=serverAuth\n' \
  >"$CA/capf.ext"
corp_sign "$CA/other.csr" "$CA/capf.ext" "$CA/other.pem"
expect_exit 2 "$OPENCAPF" ca import "$CA/other.pem" --chain "$CA/chain.pem"
contains "$WORK/out.txt" "another key than the CAPF key"
corp_sign "$WORK/capf.csr" "$CA/capf.ext" "$CA/capf-signed.pem"
expect_exit 2 "$OPENCAPF" ca import "$CA/capf-signed.pem" --chain "$CA/root.pem"
contains "$WORK/out.txt" "does not chain to a trusted root"
echo "not a certificate" >"$WORK/junk.pem"
expect_exit 2 "$OPENCAPF" ca import "$WORK/junk.pem"
contains "$WORK/out.txt" "is not a certificate"
"$OPENCAPF" ca export >"$WORK/now.pem"
cmp -s "$WORK/now.pem" "$FIRST_CAPF" || fail "a refused import changed the CAPF certificate"

step "the certificate signed with CA:TRUE, pathlen:0 and keyCertSign is installed"
"$OPENCAPF" ca import "$CA/capf-signed.pem" --chain "$CA/chain.pem" >"$WORK/import.txt" 2>"$WORK/warn.txt"
contains "$WORK/import.txt" "issued by CN=Corp Issuing CA"
# Phones accept it; what opencapf and OpenSSL-based call control still need is a warning.
contains "$WORK/warn.txt" "keyUsage lacks cRLSign"
contains "$WORK/warn.txt" "extendedKeyUsage lacks clientAuth"
wait_identity "CN=CAPF-life"
for store in capf-trust callmanager-trust; do
  "$OPENCAPF" trust list $store >"$WORK/trust.txt"
  contains "$WORK/trust.txt" "CN=Corp Root"
  contains "$WORK/trust.txt" "CN=Corp Issuing CA"
done
"$OPENCAPF" ca export --chain >"$WORK/capf.pem"

step "a phone enrols through the intermediate: its LSC verifies to the corporate root"
"$OPENCAPF" device set SEP0000000000D2 --op install --auth null >/dev/null
expect_exit 0 phone SEP0000000000D2 --state "$WORK/d2"
cat "$CA/capf-signed.pem" "$CA/int.pem" >"$WORK/untrusted.pem"
openssl verify -CAfile "$CA/root.pem" -untrusted "$WORK/untrusted.pem" "$WORK/d2/lsc.pem" \
  >"$WORK/verify.txt" 2>&1 || { cat "$WORK/verify.txt"; fail "the LSC does not chain to the corporate root"; }
openssl x509 -in "$WORK/d2/lsc.pem" -noout -issuer >"$WORK/issuer.txt"
contains "$WORK/issuer.txt" "CN = CAPF-life"

step "signed with all the CSR asks for: no warning, a CRL through the corporate chain, LSCs as TLS clients"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\nextendedKeyUsage=serverAuth,clientAuth,ipsecEndSystem\n' \
  >"$CA/full.ext"
corp_sign "$WORK/capf.csr" "$CA/full.ext" "$CA/capf-full.pem"
"$OPENCAPF" ca import "$CA/capf-full.pem" --chain "$CA/chain.pem" >/dev/null 2>"$WORK/warn.txt"
[ ! -s "$WORK/warn.txt" ] || { cat "$WORK/warn.txt"; fail "a full-profile import warned"; }
"$OPENCAPF" crl --out "$WORK/corp-crl.pem" 2>/dev/null
cat "$CA/capf-full.pem" "$CA/int.pem" "$CA/root.pem" >"$WORK/corp-all.pem"
openssl crl -in "$WORK/corp-crl.pem" -CAfile "$WORK/corp-all.pem" -noout >"$WORK/crlv.txt" 2>&1 || true
contains "$WORK/crlv.txt" "verify OK"
cat "$CA/capf-full.pem" "$CA/int.pem" >"$WORK/untrusted.pem"
openssl verify -purpose sslclient -CAfile "$CA/root.pem" -untrusted "$WORK/untrusted.pem" \
  "$WORK/d2/lsc.pem" >"$WORK/verify.txt" 2>&1 || { cat "$WORK/verify.txt"; fail "the LSC is not a TLS client certificate"; }

step "regenerate: a new key; the LSC from the first identity still authenticates"
"$OPENCAPF" ca regenerate --key ec:p256 --subject "CN=CAPF-life-2,O=opencapf e2e,OU=Voice" >"$WORK/regen.txt"
contains "$WORK/regen.txt" "CN=CAPF-life-2"
wait_identity "CN=CAPF-life-2"
"$OPENCAPF" ca list >"$WORK/list.txt"
contains "$WORK/list.txt" "current   "
contains "$WORK/list.txt" "previous  "
contains "$WORK/list.txt" "CN=CAPF-life-2"
"$OPENCAPF" ca export --all >"$WORK/capf.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$WORK/capf.pem")" -ge 3 ] || fail "ca export --all lacks the previous identities"
"$OPENCAPF" device set SEP0000000000D1 --op install --auth lsc >/dev/null
expect_exit 0 phone SEP0000000000D1 --state "$WORK/d1"
"$OPENCAPF" device show SEP0000000000D1 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Success"
openssl x509 -in "$WORK/d1/lsc.pem" -noout -issuer >"$WORK/issuer.txt"
contains "$WORK/issuer.txt" "CN = CAPF-life-2"
"$OPENCAPF" ca export >"$WORK/current.pem"
openssl verify -CAfile "$WORK/current.pem" "$WORK/d1/lsc.pem" >/dev/null || fail "the new LSC does not verify"

step "retire the first identity: it leaves both trust stores; the current one cannot be retired"
FIRST_FP=$(openssl x509 -in "$FIRST_CAPF" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
expect_exit 2 "$OPENCAPF" ca retire "$(openssl x509 -in "$WORK/current.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | cut -c1-16)"
contains "$WORK/out.txt" "is the current CAPF certificate"
"$OPENCAPF" ca retire "${FIRST_FP:0:16}" >/dev/null
for store in capf-trust callmanager-trust; do
  "$OPENCAPF" trust list $store --json >"$WORK/trust.txt"
  grep -qF "$FIRST_FP" "$WORK/trust.txt" && fail "the retired identity is still in $store"
done
"$OPENCAPF" ca list >"$WORK/list.txt"
grep -qF "previous  ${FIRST_FP:0:16}" "$WORK/list.txt" && fail "ca list still shows the retired identity"
# Every change to the identity is in the audit log (the refused imports are not).
"$OPENCAPF" audit --target capf >"$WORK/audit.txt"
contains "$WORK/audit.txt" "ca.import"
contains "$WORK/audit.txt" "ca.regenerate"
contains "$WORK/audit.txt" "ca.retire"
[ "$(grep -c 'ca.import' "$WORK/audit.txt")" = 2 ] || { cat "$WORK/audit.txt" >&2; fail "expected two ca.import entries"; }

step "revoke an LSC: authentication fails as Invalid LSC, the CRL lists it, OpenSSL agrees"
"$OPENCAPF" device set SEP0000000000D3 --op install --auth null >/dev/null
expect_exit 0 phone SEP0000000000D3 --state "$WORK/d3"
SERIAL3=$(lsc_serial "$WORK/d3")
"$OPENCAPF" cert show "$SERIAL3" >"$WORK/cert.txt"
contains "$WORK/cert.txt" "SEP0000000000D3"
expect_exit 2 "$OPENCAPF" cert revoke "$SERIAL3" --reason stolen
contains "$WORK/out.txt" "keyCompromise"
expect_exit 1 "$OPENCAPF" cert revoke 0123456789abcdef --reason keyCompromise
contains "$WORK/out.txt" "opencapf cert list"
"$OPENCAPF" cert revoke "$SERIAL3" --reason keyCompromise >"$WORK/revoke.txt"
contains "$WORK/revoke.txt" "keyCompromise"
"$OPENCAPF" cert list --state revoked >"$WORK/certs.txt"
contains "$WORK/certs.txt" "$SERIAL3"
"$OPENCAPF" crl --out "$WORK/crl1.pem" 2>/dev/null
"$OPENCAPF" crl --out "$WORK/crl.pem" 2>"$WORK/crl.txt"
contains "$WORK/crl.txt" "CRL number"
openssl crl -in "$WORK/crl.pem" -CAfile "$WORK/current.pem" -noout >"$WORK/crlv.txt" 2>&1 || true
contains "$WORK/crlv.txt" "verify OK"
openssl crl -in "$WORK/crl1.pem" -noout -crlnumber >"$WORK/n1.txt"
openssl crl -in "$WORK/crl.pem" -noout -crlnumber >"$WORK/n2.txt"
N1=$(( $(cut -d= -f2 "$WORK/n1.txt") )); N2=$(( $(cut -d= -f2 "$WORK/n2.txt") ))
[ "$N2" -gt "$N1" ] || fail "the CRL number did not grow ($N1 then $N2)"
openssl crl -in "$WORK/crl.pem" -noout -text >"$WORK/crltext.txt"
contains "$WORK/crltext.txt" "Key Compromise"
set +e
openssl verify -crl_check -CAfile "$WORK/current.pem" -CRLfile "$WORK/crl.pem" "$WORK/d3/lsc.pem" >"$WORK/v3.txt" 2>&1
set -e
contains "$WORK/v3.txt" "certificate revoked"
openssl verify -crl_check -CAfile "$WORK/current.pem" -CRLfile "$WORK/crl.pem" "$WORK/d1/lsc.pem" \
  >/dev/null 2>&1 || fail "a valid LSC fails the CRL check"
"$OPENCAPF" device set SEP0000000000D3 --op install --auth lsc >/dev/null
expect_exit 1 phone SEP0000000000D3 --state "$WORK/d3"
"$OPENCAPF" device show SEP0000000000D3 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Failed: Invalid LSC"

step "renewal: an LSC that expires within renew_before_days is renewed by existing LSC"
"$OPENCAPF" device show SEP0000000000D1 >"$WORK/show.txt"
contains "$WORK/show.txt" "No Pending Operation"
"$OPENCAPF" cert renew >"$WORK/renew.txt" 2>&1
contains "$WORK/renew.txt" "SEP0000000000D1"
contains "$WORK/renew.txt" "SEP0000000000D2"
"$OPENCAPF" device show SEP0000000000D1 --history >"$WORK/show.txt"
contains "$WORK/show.txt" "Operation Pending"
contains "$WORK/show.txt" "renewal"
BEFORE=$(lsc_serial "$WORK/d1")
expect_exit 0 phone SEP0000000000D1 --state "$WORK/d1"
[ "$(lsc_serial "$WORK/d1")" != "$BEFORE" ] || fail "the renewal did not issue a new LSC"
"$OPENCAPF" device show SEP0000000000D1 >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Success"

step "an encrypted CAPF key: the passphrase comes from the environment, a wrong one is one line"
export OPENCAPF_DATA=$WORK/enc
export CAPF_PASS=correct-horse
"$OPENCAPF" init --passphrase-env CAPF_PASS >/dev/null
contains "$OPENCAPF_DATA/capf-key.pem" "ENCRYPTED PRIVATE KEY"
[ "$(stat -c %a "$OPENCAPF_DATA/capf-key.pem")" = "600" ] || fail "the CAPF key is not mode 0600"
"$OPENCAPF" ca csr >/dev/null
CAPF_PASS=xyzzy-not-it expect_exit 1 "$OPENCAPF" ca csr
[ "$(wc -l <"$WORK/out.txt")" -eq 1 ] || fail "a wrong passphrase is not a one-line error"
grep -qF "xyzzy" "$WORK/out.txt" && fail "the error repeats the passphrase"
# A configuration that does not name the passphrase would leave the key unencrypted: refused.
mkdir -p "$WORK/enc2"; printf '[log]\nlevel = "info"\n' >"$WORK/enc2/opencapf.toml"
OPENCAPF_DATA=$WORK/enc2 expect_exit 2 "$OPENCAPF" init --passphrase-env CAPF_PASS
contains "$WORK/out.txt" "does not name that passphrase"
[ ! -e "$WORK/enc2/capf-key.pem" ] || fail "init wrote a key it could not encrypt"

step "SoftHSM2 holds the CAPF key: RSA and EC, a full TLS install each"
export SOFTHSM2_CONF=$WORK/softhsm2.conf
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
  "$WORK/tokens" >"$SOFTHSM2_CONF"
export OPENCAPF_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label capf --so-pin 5678 --pin 1234 >/dev/null
id=1
for kind in rsa:2048 EC:prime256v1; do
  label=capf-${kind%%:*}
  # Each pair its own id: libp11 pairs a private key with its public key by CKA_ID.
  pkcs11-tool --module "$OPENCAPF_PKCS11_MODULE" --token-label capf --login --pin 1234 \
    --keypairgen --key-type "$kind" --label "${label,,}" --id "0$id" >/dev/null 2>&1
  id=$((id + 1))
done
export CAPF_PIN=1234
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
for label in capf-rsa capf-ec; do
  export OPENCAPF_DATA=$WORK/hsm-$label
  CAPF_PIN=9999 expect_exit 1 "$OPENCAPF" init --key "pkcs11:token=capf;object=$label" --passphrase-env CAPF_PIN
  contains "$WORK/out.txt" "PKCS#11"
  grep -qF "9999" "$WORK/out.txt" && fail "the error repeats the PIN"
  [ ! -e "$OPENCAPF_DATA/opencapf.toml" ] || fail "a failed init left its configuration behind"
  "$OPENCAPF" init --key "pkcs11:token=capf;object=$label" --passphrase-env CAPF_PIN \
    --subject "CN=CAPF-$label,O=opencapf e2e" >/dev/null
  [ ! -e "$OPENCAPF_DATA/capf-key.pem" ] || fail "a key file was written for a token key"
  contains "$OPENCAPF_DATA/opencapf.toml" "pkcs11:token=capf;object=$label"
  start_server
  "$OPENCAPF" device set SEP0000000000E1 --op install --auth null --key-order ec >/dev/null
  expect_exit 0 phone SEP0000000000E1 --state "$WORK/e1-$label"
  openssl verify -CAfile "$WORK/capf.pem" "$WORK/e1-$label/lsc.pem" >/dev/null ||
    fail "the LSC signed in the token ($label) does not verify"
  openssl x509 -in "$WORK/e1-$label/lsc.pem" -noout -text >"$WORK/lsc.txt"
  if [ "$label" = capf-ec ]; then
    contains "$WORK/lsc.txt" "Signature Algorithm: ecdsa-with-SHA256"
  else
    contains "$WORK/lsc.txt" "Signature Algorithm: sha256WithRSAEncryption"
  fi
  expect_exit 2 "$OPENCAPF" ca regenerate
  contains "$WORK/out.txt" "PKCS#11 token"
  "$OPENCAPF" crl >"$WORK/crl-$label.pem" 2>/dev/null
  openssl crl -in "$WORK/crl-$label.pem" -CAfile "$WORK/capf.pem" -noout >"$WORK/crlv.txt" 2>&1 || true
  contains "$WORK/crlv.txt" "verify OK"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
done

echo "ca_lifecycle_end_to_end: all steps passed"
