#!/bin/sh
# Writes the seed corpora fuzz/corpus/codec and fuzz/corpus/frames from the frames of
# spec/capf-protocol.md §12 (session id 0x2a). Re-run after changing a seed; needs xxd.
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

rm -rf corpus/codec corpus/frames

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
