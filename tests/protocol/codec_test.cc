// The header, the flat TLV payload and the frame codec (docs/protocol.md §2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/protocol/message.h"
#include "tests/protocol/test_vectors.h"
#include "tests/support/result_matchers.h"

namespace capf::protocol {
namespace {

using ::testing::HasSubstr;
using testing::hex;

TEST(Header, ParsesBigEndianFields) {
  auto header = parse_header(hex("55 02 12345678 abcd"));
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->command, 2);
  EXPECT_EQ(header->session_id, 0x12345678u);
  EXPECT_EQ(header->payload_length, 0xabcd);
}

TEST(Header, RejectsWrongProtocolId) {
  auto header = parse_header(hex("54 02 0000002a 0000"));
  EXPECT_THAT(header, FailsWith(ErrorCode::kMalformed, "protocol id 0x54, expected 0x55"));
}

TEST(Header, RejectsWrongSize) {
  EXPECT_FALSE(parse_header(hex("55 02 0000002a 00")));
  EXPECT_FALSE(parse_header(hex("55 02 0000002a 0000 00")));
  EXPECT_FALSE(parse_header({}));
}

TEST(Elements, EmptyPayloadHasNoElements) {
  auto elements = parse_elements({});
  ASSERT_TRUE(elements);
  EXPECT_TRUE(elements->empty());
}

TEST(Elements, KeepsWireOrderAndZeroLengthValues) {
  auto elements = parse_elements(hex("0d 0002 4100  07 0001 02  02 0000"));
  ASSERT_TRUE(elements) << elements.error().message;
  ASSERT_EQ(elements->size(), 3u);
  EXPECT_EQ((*elements)[0], (Element{13, {0x41, 0x00}}));
  EXPECT_EQ((*elements)[1], (Element{7, {0x02}}));
  EXPECT_EQ((*elements)[2], (Element{2, {}}));
}

TEST(Elements, RejectsLengthPastTheEnd) {
  auto elements = parse_elements(hex("07 0001 03  0d 0010 5345"));
  EXPECT_THAT(elements,
              FailsWith(ErrorCode::kMalformed,
                        "element DEVICE_NAME at offset 4 declares 16 bytes but 2 remain"));
}

TEST(Elements, RejectsTruncatedElementHeader) {
  for (std::string_view tail : {"07", "07 00"}) {
    auto elements = parse_elements(hex(std::string("07 0001 03 ") + std::string(tail)));
    ASSERT_FALSE(elements) << tail;
    EXPECT_THAT(elements.error().message, HasSubstr("element header at offset 4 truncated"));
  }
}

TEST(Decode, RejectsPayloadLengthMismatch) {
  auto longer = decode(hex("55 0a 0000002a 000c 01 0001 01 02 0002 aabb"));
  EXPECT_THAT(longer,
              FailsWith(ErrorCode::kMalformed, "payload length 12 but 9 bytes follow the header"));
  auto shorter = decode(hex("55 0a 0000002a 0003 01 0001 01"));
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().message, "payload length 3 but 4 bytes follow the header");
}

TEST(Decode, RejectsShortFrameAndWrongProtocolId) {
  auto short_frame = decode(hex("55 0a 0000"));
  ASSERT_FALSE(short_frame);
  EXPECT_EQ(short_frame.error().code, ErrorCode::kMalformed);
  auto wrong_id = decode(hex("56 0a 0000002a 0000"));
  ASSERT_FALSE(wrong_id);
  EXPECT_THAT(wrong_id.error().message, HasSubstr("protocol id 0x56"));
}

TEST(Decode, ElementErrorsNameTheCommand) {
  auto m = decode(hex("55 02 0000002a 0004 07 0002 03"));
  ASSERT_FALSE(m);
  EXPECT_THAT(m.error().message, HasSubstr("AUTH_RESPONSE: element VERSION"));
}

TEST(Decode, EveryTruncationOfEveryVectorFrameIsRejected) {
  for (std::string_view frame_hex : testing::all_vector_frames()) {
    Bytes frame = hex(frame_hex);
    ASSERT_TRUE(decode(frame)) << frame_hex;
    for (std::size_t n = 0; n < frame.size(); ++n) {
      auto m = decode(ByteView(frame).first(n));
      EXPECT_FALSE(m) << "prefix of " << n << " bytes of " << frame_hex;
      if (!m) {
        EXPECT_EQ(m.error().code, ErrorCode::kMalformed);
      }
    }
  }
}

TEST(Decode, EveryVectorFrameReencodesIdentically) {
  for (std::string_view frame_hex : testing::all_vector_frames()) {
    auto m = decode(hex(frame_hex));
    ASSERT_TRUE(m) << frame_hex;
    auto again = encode(*m);
    ASSERT_TRUE(again);
    EXPECT_EQ(to_hex(*again), frame_hex);
  }
}

TEST(Message, FindReturnsTheFirstOfDuplicates) {
  auto m = decode(hex("55 0f 0000002a 0008 01 0001 07 01 0001 01"));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->elements.size(), 2u);
  const Element* reason = m->find(Tag::kReason);
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(reason->value, Bytes{7});
  EXPECT_EQ(m->find(Tag::kVersion), nullptr);
}

TEST(Encode, WritesHeaderAndElementsInGivenOrder) {
  Message m{2, 0x01020304, {Element{13, {0x41, 0x00}}, Element{7, {0x02}}}};
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(to_hex(*bytes),
            "55020102030400090d00024100070001"
            "02");
}

TEST(Encode, RejectsValueOver65535Bytes) {
  Message m{9, 1, {Element{4, Bytes(65536, 0xaa)}}};
  auto bytes = encode(m);
  EXPECT_THAT(bytes, FailsWith(ErrorCode::kInvalidArgument,
                               "element CERTIFICATE value has 65536 bytes, more than 65535"));
}

TEST(Encode, RejectsPayloadOver65535Bytes) {
  // 65532 + 3 fits exactly; one more byte in a second element does not.
  Message fits{9, 1, {Element{4, Bytes(65532, 0xaa)}}};
  auto ok_bytes = encode(fits);
  ASSERT_TRUE(ok_bytes) << ok_bytes.error().message;
  EXPECT_EQ(ok_bytes->size(), kHeaderSize + kMaxPayload);
  Message too_big{9, 1, {Element{4, Bytes(65532, 0xaa)}, Element{1, {}}}};
  auto bytes = encode(too_big);
  EXPECT_THAT(bytes,
              FailsWith(ErrorCode::kInvalidArgument, HasSubstr("payload of 65538 bytes exceeds")));
}

TEST(Encode, LargestPayloadRoundTrips) {
  Message m{12, 7, {Element{1, {1}}, Element{4, Bytes(65528, 0x5a)}}};
  auto bytes = encode(m);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto back = decode(*bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, m);
}

TEST(Names, KnownAndUnknownValues) {
  EXPECT_EQ(command_name(1), "AUTH_REQUEST");
  EXPECT_EQ(command_name(23), "SIGN_CERTIFICATE_RESPONSE");
  EXPECT_EQ(command_name(0), "command 0");
  EXPECT_EQ(command_name(42), "command 42");
  EXPECT_EQ(tag_name(13), "DEVICE_NAME");
  EXPECT_EQ(tag_name(20), "SHA2_SIGNED_DATA");
  EXPECT_EQ(tag_name(14), "tag 14");
  EXPECT_EQ(tag_name(255), "tag 255");
}

}  // namespace
}  // namespace capf::protocol
