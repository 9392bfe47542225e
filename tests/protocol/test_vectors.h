// The worked example of docs/protocol.md §12 (session id 0x0000002a), as hex, plus helpers
// shared by the protocol tests.
#pragma once

#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "capf/common/bytes.h"

namespace capf::protocol::testing {

inline constexpr std::uint32_t kSessionId = 0x2a;

// Message 1, S→C AUTH_REQUEST.
inline constexpr std::string_view kAuthRequestHex = "55010000002a00080700010308000100";
// Message 2, C→S AUTH_RESPONSE with the authentication string "123456".
inline constexpr std::string_view kAuthResponseHex =
    "55020000002a002501000101070001030b0007313233343536000d0010534550"
    "30303131323233333434353500";
// Message 2, null-string variant (empty PASSWORD).
inline constexpr std::string_view kAuthResponseNullHex =
    "55020000002a001f01000101070001030b0001000d001053455030303131323233333434353500";
// Message 3, KEY_GENERATE_REQUEST for EC P-256, and the RSA-2048 variant.
inline constexpr std::string_view kKeyGenerateEcHex = "55030000002a00081100010112000100";
inline constexpr std::string_view kKeyGenerateRsaHex = "55030000002a00090a0002080011000100";
// Message 4, REQUEST_IN_PROGRESS.
inline constexpr std::string_view kRequestInProgressHex = "55110000002a0000";
// Message 5, KEY_GENERATE_RESPONSE with a 91-byte P-256 SubjectPublicKeyInfo.
inline constexpr std::string_view kKeyGenerateResponseHex =
    "55040000002a005e09005b3059301306072a8648ce3d020106082a8648ce3d03"
    "0107034200040217e617f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66"
    "e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f289"
    "7c65306e5794";
// Message 6, STORE_CERTIFICATE_REQUEST with the 474-byte LSC.
inline constexpr std::string_view kStoreCertificateRequestHex =
    "55090000002a01e6030001010401df0101dc0001308201d63082017ca0030201"
    "0202100123456789abcdef0123456789abcdef300a06082a8648ce3d04030230"
    "383110300e060355040a0c074578616d706c65310d300b060355040b0c044341"
    "50463115301306035504030c0c434150462d6578616d706c65301e170d323530"
    "3130313030303030305a170d3236303130313030303030305a303b3118301606"
    "035504030c0f5345503030313132323333343435353110300e060355040a0c07"
    "4578616d706c65310d300b060355040b0c04434150463059301306072a8648ce"
    "3d020106082a8648ce3d030107034200040217e617f0b6443928278f96999e69"
    "a23a4f2c152bdf6d6cdf66e5b80282d4ed194a7debcb97712d2dda3ca85aa876"
    "5a56f45fc758599652f2897c65306e5794a3653063300c0603551d130101ff04"
    "023000300e0603551d0f0101ff0404030205a030270603551d250420301e0608"
    "2b0601050507030106082b0601050507030206082b06010505070305301a0603"
    "551d1104133011860f534550303031313232333334343535300a06082a8648ce"
    "3d0403020348003045022005d01352acdc36d94e3528d255d5b179a346860cba"
    "34566d731fcba84f817ee2022100e360e70f90802a4bc068532fc300e31765b5"
    "8ca2c1c2d9950485ca544d8022ce";
// Message 7, STORE_CERTIFICATE_RESPONSE success; message 8, END_SESSION certificate changed.
inline constexpr std::string_view kStoreCertificateResponseHex = "550a0000002a000401000101";
inline constexpr std::string_view kEndSessionChangedHex = "550f0000002a000401000101";
// "Other single messages".
inline constexpr std::string_view kFetchRequestHex = "550b0000002a0000";
inline constexpr std::string_view kDeleteRequestHex = "550d0000002a0000";
inline constexpr std::string_view kEndSessionNoActionHex = "550f0000002a000401000100";
inline constexpr std::string_view kEndSessionFailureHex = "550f0000002a000401000107";
inline constexpr std::string_view kEndSessionUnknownDeviceHex = "550f0000002a000401000109";
inline constexpr std::string_view kDeleteResponseNothingHex = "550e0000002a000401000107";

// Every frame above, for the truncation and splitting tests.
inline std::vector<std::string_view> all_vector_frames() {
  return {kAuthRequestHex,
          kAuthResponseHex,
          kAuthResponseNullHex,
          kKeyGenerateEcHex,
          kKeyGenerateRsaHex,
          kRequestInProgressHex,
          kKeyGenerateResponseHex,
          kStoreCertificateRequestHex,
          kStoreCertificateResponseHex,
          kEndSessionChangedHex,
          kFetchRequestHex,
          kDeleteRequestHex,
          kEndSessionNoActionHex,
          kEndSessionFailureHex,
          kEndSessionUnknownDeviceHex,
          kDeleteResponseNothingHex};
}

// Hex → bytes; a bad literal fails the calling test.
inline Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << "bad hex literal: " << text;
  return bytes.value_or(Bytes{});
}

}  // namespace capf::protocol::testing
