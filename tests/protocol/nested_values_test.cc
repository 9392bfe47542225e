// CERTIFICATE items (§4.1), SHA2_SIGNED_DATA (§4) and SUDI_DATA (§6.3.4).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/protocol/message.h"
#include "tests/protocol/test_vectors.h"
#include "tests/support/result_matchers.h"

namespace capf::protocol {
namespace {

using ::testing::HasSubstr;
using testing::hex;

TEST(CertificateValue, ParsesOneItem) {
  auto items = parse_certificate_value(hex("01 0005 00 01 300100"));
  ASSERT_TRUE(items) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0], (CertificateItem{cert_type::kLsc, 0, {0x30, 0x01, 0x00}}));
}

TEST(CertificateValue, ParsesSeveralItemsByLength) {
  auto items = parse_certificate_value(hex("01 0003 00 01 aa  01 0004 07 02 bbcc"));
  ASSERT_TRUE(items) << items.error().message;
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0], (CertificateItem{cert_type::kLsc, 0, {0xaa}}));
  EXPECT_EQ((*items)[1], (CertificateItem{cert_type::kMic, 7, {0xbb, 0xcc}}));
}

TEST(CertificateValue, BuildIsTheInverseOfParse) {
  std::vector<CertificateItem> items = {{cert_type::kLsc, 0, Bytes(474, 0x30)},
                                        {cert_type::kMic, 0, {0x01, 0x02}}};
  Bytes value = build_certificate_value(items);
  EXPECT_EQ(to_hex(ByteView(value).first(5)), "0101dc0001");
  auto back = parse_certificate_value(value);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, items);
}

TEST(CertificateValue, RejectsBadItems) {
  struct Case {
    std::string_view hex;
    std::string_view message;
  };
  const Case cases[] = {
      {"", "CERTIFICATE value holds no certificate item"},
      {"02 0003 00 01 aa", "certificate item 1 has tag 0x02, expected 0x01"},
      {"01 0001 00", "certificate item 1 has length 1, less than its 2 type bytes"},
      {"01 0002 00 01", "certificate item 1 holds no certificate"},
      {"01 0004 00 01 aa", "certificate item 1 declares 4 bytes but 3 remain"},
      {"01 0003 00 01 aa 01 00", "certificate item 2 header truncated: 2 of 3 bytes present"},
      {"01 0003 00 01 aa ff", "certificate item 2 header truncated: 1 of 3 bytes present"},
  };
  for (const Case& c : cases) {
    auto items = parse_certificate_value(hex(c.hex));
    EXPECT_THAT(items, FailsWith(ErrorCode::kMalformed, c.message)) << c.hex;
  }
}

TEST(HashedSignature, ParsesAndBuilds) {
  auto sig = parse_hashed_signature(hex("03 0003 aabbcc"));
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(sig->hash_id, hash_id::kSha512);
  EXPECT_EQ(sig->signature, (Bytes{0xaa, 0xbb, 0xcc}));
  EXPECT_EQ(to_hex(build_hashed_signature(*sig)), "030003aabbcc");
}

TEST(HashedSignature, LengthMustCoverExactlyTheRest) {
  auto longer = parse_hashed_signature(hex("03 0004 aabbcc"));
  EXPECT_THAT(longer, FailsWith(ErrorCode::kMalformed, "signature declares 4 bytes but 3 remain"));
  auto shorter = parse_hashed_signature(hex("03 0002 aabbcc"));
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().message, "signature length 2 but 3 bytes follow its header");
  EXPECT_FALSE(parse_hashed_signature(hex("03 00")));
  EXPECT_FALSE(parse_hashed_signature({}));
}

TEST(SudiData, ParsesThreeParts) {
  auto sudi = parse_sudi_data(hex("00 0002 3000  01 0001 aa  03 0002 bbcc"));
  ASSERT_TRUE(sudi) << sudi.error().message;
  EXPECT_EQ(sudi->certificate_id, 0);
  EXPECT_EQ(sudi->certificate, (Bytes{0x30, 0x00}));
  EXPECT_EQ(sudi->sha1, (HashedSignature{hash_id::kSha1, {0xaa}}));
  EXPECT_EQ(sudi->sha512, (HashedSignature{hash_id::kSha512, {0xbb, 0xcc}}));
  EXPECT_EQ(to_hex(build_sudi_data(*sudi)),
            "00000230000100"
            "01aa030002bbcc");
}

TEST(SudiData, RejectsMissingPartsAndTrailingBytes) {
  auto two_parts = parse_sudi_data(hex("00 0002 3000  01 0001 aa"));
  EXPECT_THAT(two_parts, FailsWith(ErrorCode::kMalformed,
                                   HasSubstr("SUDI_DATA SHA-512 part header truncated")));
  auto trailing = parse_sudi_data(hex("00 0002 3000  01 0001 aa  03 0002 bbcc  00"));
  ASSERT_FALSE(trailing);
  EXPECT_EQ(trailing.error().message, "SUDI_DATA has 1 bytes after its three parts");
  auto overlong = parse_sudi_data(hex("00 0009 3000  01 0001 aa"));
  ASSERT_FALSE(overlong);
  EXPECT_THAT(overlong.error().message, HasSubstr("SUDI_DATA certificate part declares 9 bytes"));
}

TEST(SudiData, EveryTruncationIsRejected) {
  SudiData sudi{
      0, Bytes(40, 0x30), {hash_id::kSha1, Bytes(20, 1)}, {hash_id::kSha512, Bytes(64, 3)}};
  Bytes value = build_sudi_data(sudi);
  auto back = parse_sudi_data(value);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, sudi);
  for (std::size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(parse_sudi_data(ByteView(value).first(n))) << n;
  }
}

}  // namespace
}  // namespace capf::protocol
