#!/bin/sh
# Writes the generated seed corpora: fuzz/corpus/codec and fuzz/corpus/frames from the frames of
# the worked example of docs/protocol.md §12 (session id 0x2a), and certificate, csr and
# offline_import from keys and certificates the openssl command line makes (new keys at each run).
# The csv, config and api_json seeds are written by hand. Re-run after changing a seed; needs xxd,
# openssl and tar.
set -eu
cd "$(dirname "$0")"

# §12 message 5 (KEY_GENERATE_RESPONSE) and the 474-byte LSC DER of message 6.
M5="55040000002a005e09005b3059301306072a8648ce3d020106082a8648ce3d03\
0107034200040217e617f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66\
e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f289\
7c65306e5794"
DER="308201d63082017ca00302010202100123456789abcdef0123456789abcdef30\
0a06082a8648ce3d04030230383110300e060355040a0c074578616d706c6531\
0d300b060355040b0c04434150463115301306035504030c0c434150462d6578\
616d706c65301e170d3235303130313030303030305a170d3236303130313030\
303030305a303b3118301606035504030c0f5345503030313132323333343435\
353110300e060355040a0c074578616d706c65310d300b060355040b0c044341\
50463059301306072a8648ce3d020106082a8648ce3d030107034200040217e6\
17f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66e5b80282d4ed194a7d\
ebcb97712d2dda3ca85aa8765a56f45fc758599652f2897c65306e5794a36530\
63300c0603551d130101ff04023000300e0603551d0f0101ff0404030205a030\
270603551d250420301e06082b0601050507030106082b060105050703020608\
2b06010505070305301a0603551d1104133011860f5345503030313132323333\
34343535300a06082a8648ce3d0403020348003045022005d01352acdc36d94e\
3528d255d5b179a346860cba34566d731fcba84f817ee2022100e360e70f9080\
2a4bc068532fc300e31765b58ca2c1c2d9950485ca544d8022ce"

M1=55010000002a00080700010308000100
M2=55020000002a002501000101070001030b0007313233343536000d001053455030303131323233333434353500
M2_NULL=55020000002a001f01000101070001030b0001000d001053455030303131323233333434353500
M3_EC=55030000002a00081100010112000100
M3_RSA=55030000002a00090a0002080011000100
M4=55110000002a0000
M6="55090000002a01e6030001010401df0101dc0001$DER"
M7=550a0000002a000401000101
M8=550f0000002a000401000101
FETCH_REQ=550b0000002a0000
DELETE_REQ=550d0000002a0000
END_NONE=550f0000002a000401000100
END_FAIL=550f0000002a000401000107
END_UNKNOWN=550f0000002a000401000109
DELETE_RESP_NONE=550e0000002a000401000107
DELETE_RESP_OK=550e0000002a000401000101
# Built the same way as the §12 frames: fetch response with the LSC, refused key generation,
# signed-request response (§6.10), Jabber's unsorted auth response (§6.9).
FETCH_RESP="550c0000002a01e6010001010401df0101dc0001$DER"
KEY_REFUSED=55040000002a000401000107
SIGN_RESP=55170000002a000e01000101140007030004aabbccdd
JABBER_AUTH=55020000002a0012070001020d000743534631323300010001
JABBER_AUTH=${JABBER_AUTH}01

write() {  # write DIR NAME HEX...
  dir=$1 name=$2
  shift 2
  mkdir -p "corpus/$dir"
  printf '%s' "$@" | xxd -r -p >"corpus/$dir/$name"
}

rm -rf corpus/codec corpus/frames corpus/certificate corpus/csr corpus/offline_import

write codec m1_auth_request "$M1"
write codec m2_auth_response "$M2"
write codec m2_auth_response_null "$M2_NULL"
write codec m3_keygen_ec "$M3_EC"
write codec m3_keygen_rsa "$M3_RSA"
write codec m4_in_progress "$M4"
write codec m5_keygen_response "$M5"
write codec m6_store_request "$M6"
write codec m7_store_response "$M7"
write codec m8_end_changed "$M8"
write codec fetch_request "$FETCH_REQ"
write codec delete_request "$DELETE_REQ"
write codec end_none "$END_NONE"
write codec end_failure "$END_FAIL"
write codec end_unknown "$END_UNKNOWN"
write codec delete_response_none "$DELETE_RESP_NONE"
write codec fetch_response "$FETCH_RESP"
write codec keygen_refused "$KEY_REFUSED"
write codec sign_response "$SIGN_RESP"
write codec jabber_auth_response "$JABBER_AUTH"
# Nested values on their own: a certificate value, a SHA2_SIGNED_DATA value, a SUDI_DATA value.
write codec value_certificate "0101dc0001$DER"
write codec value_sha2_signed 030004aabbccdd
write codec value_sudi 0000053003020100010002aabb030002ccdd

# Frames: split (2 bytes), chunk (1 byte), 4 decision bytes, then the client's stream.
# Decisions after an auth response: 0 EC keygen, 1 RSA keygen, 2 fetch, 3 delete, 4 end;
# after a key response: 0 store, 1 sign, 2 RSA fallback, 3 end; after a signature: 0 store.
write frames install_ec 0000 00 00000000 "$M2" "$M4" "$M4" "$M5" "$M7"
write frames install_split_header 0003 05 01000000 "$M2" "$M4" "$M5" "$M7"
write frames install_null_string 0030 01 00000000 "$M2_NULL" "$M5" "$M7"
write frames fallback_to_rsa 0010 00 00020000 "$M2" "$KEY_REFUSED" "$M4" "$M5" "$M7"
write frames phone_signed 0100 10 00010000 "$JABBER_AUTH" "$M5" "$M4" "$SIGN_RESP" "$M7"
write frames fetch 0002 07 02000000 "$M2" "$FETCH_RESP"
write frames delete 0008 03 03000000 "$M2" "$DELETE_RESP_OK"
write frames delete_nothing 0000 00 03000000 "$M2_NULL" "$DELETE_RESP_NONE"
write frames wrong_state 0000 00 00000000 "$M2" "$M7"
write frames not_capf 0000 00 00000000 160301020001000001fc0303

# PKI seeds: a CA, a phone certificate it signed, a CSR; the first byte of each seed picks the
# driver's mode (see fuzz_certificate.cc and fuzz_csr.cc).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ossl() { openssl "$@" 2>/dev/null; }
ossl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key"
ossl req -x509 -new -key "$tmp/ca.key" -subj "/CN=CAPF-seed/O=Example/C=NZ" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$tmp/ca.pem"
ossl ecparam -name prime256v1 -genkey -noout -out "$tmp/phone.key"
ossl req -new -key "$tmp/phone.key" -subj "/CN=SEP001122334455/O=Example" -out "$tmp/phone.csr"
ossl req -new -key "$tmp/phone.key" -subj "/CN=SEP001122334455/O=Example" -outform DER \
  -out "$tmp/phone.csr.der"
ossl x509 -req -in "$tmp/phone.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -set_serial 0x0123 \
  -days 365 -out "$tmp/phone.pem"
ossl x509 -in "$tmp/phone.pem" -outform DER -out "$tmp/phone.der"
ossl x509 -in "$tmp/ca.pem" -outform DER -out "$tmp/ca.der"
ossl pkey -in "$tmp/phone.key" -pubout -outform DER -out "$tmp/phone.spki"

hexof() { xxd -p "$1" | tr -d '\n'; }
len16() { printf '%04x' "$(wc -c <"$1")"; }
textseed() {  # textseed DIR NAME MODE FILE: the mode byte, then the file
  mkdir -p "corpus/$1"
  { printf '%s' "$3" | xxd -r -p; cat "$4"; } >"corpus/$1/$2"
}

write certificate lsc_der 00 "$DER"
write certificate lsc_as_pem 01 "$DER"
textseed certificate ca_pem 00 "$tmp/ca.pem"
textseed certificate phone_der 00 "$tmp/phone.der"
write certificate chain 02 "$(len16 "$tmp/phone.der")" "$(hexof "$tmp/phone.der")" \
  "$(len16 "$tmp/ca.der")" "$(hexof "$tmp/ca.der")"
write certificate crl_empty 03 3000

textseed csr csr_der 00 "$tmp/phone.csr.der"
textseed csr csr_pem 00 "$tmp/phone.csr"
textseed csr csr_as_pem 01 "$tmp/phone.csr.der"
textseed csr phone_spki 03 "$tmp/phone.spki"
# The phone-signed request: the CSR's request info and signature, split with asn1parse (the info
# is the first element inside the outer SEQUENCE, the signature the BIT STRING's content).
# "OFFSET HEADER_LENGTH LENGTH" of the first asn1parse line matching a pattern (last with -l).
element() {  # element PATTERN [-l]
  lines=$(ossl asn1parse -inform DER -in "$tmp/phone.csr.der" | grep -E "$1")
  if [ "${2:-}" = -l ]; then lines=$(echo "$lines" | tail -1); else lines=$(echo "$lines" | head -1); fi
  echo "$lines" | sed -E 's/^ *([0-9]+):d=[0-9]+ +hl= *([0-9]+) +l= *([0-9]+).*/\1 \2 \3/'
}
set -- $(element 'd=1 ')
dd if="$tmp/phone.csr.der" of="$tmp/info.der" bs=1 skip="$1" count=$(( $2 + $3 )) 2>/dev/null
set -- $(element 'BIT STRING' -l)
dd if="$tmp/phone.csr.der" of="$tmp/sig.der" bs=1 skip=$(( $1 + $2 + 1 )) count=$(( $3 - 1 )) 2>/dev/null
write csr phone_signed 02 02 "$(len16 "$tmp/info.der")" "$(hexof "$tmp/info.der")" "$(hexof "$tmp/sig.der")"

# Offline import: the first byte picks .tgz (00) or a certificate file (01).
printf 'request_id,device,key,created,spki_sha256,file\n' >"$tmp/manifest.csv"
cp "$tmp/phone.der" "$tmp/SEP001122334455.der"
tar -C "$tmp" -czf "$tmp/signed.tgz" SEP001122334455.der manifest.csv
tar -C "$tmp" -cf "$tmp/signed.tar" SEP001122334455.der
textseed offline_import signed_tgz 00 "$tmp/signed.tgz"
textseed offline_import signed_tar 00 "$tmp/signed.tar"
cat "$tmp/phone.pem" "$tmp/ca.pem" >"$tmp/chain.pem"
textseed offline_import chain_pem 01 "$tmp/chain.pem"
textseed offline_import phone_der 01 "$tmp/phone.der"
