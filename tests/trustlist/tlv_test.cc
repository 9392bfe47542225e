// The element layer of trust-list files (docs/trust-lists.md §1): every writer byte for byte,
// and the reader's errors naming the offset.
#include "capf/trustlist/tlv.h"

#include <cctype>

#include <gtest/gtest.h>

namespace capf::trustlist {
namespace {

struct EncodeCase {
  const char* name;
  void (*write)(Bytes&);  // appends the element to its argument
  const char* hex;
};

const EncodeCase kEncodeCases[] = {
    {"u8", [](Bytes& b) { put_u8_element(b, 8, 3); }, "08000103"},
    {"u16", [](Bytes& b) { put_u16_element(b, 1, 0x0102); }, "0100020102"},
    {"u32", [](Bytes& b) { put_u32_element(b, 15, 0x5f5e1000); }, "0f00045f5e1000"},
    {"bytes",
     [](Bytes& b) {
       EXPECT_TRUE(put_element(b, 5, Bytes{0xab, 0xcd}, "x"));
     },
     "050002abcd"},
    {"empty", [](Bytes& b) { EXPECT_TRUE(put_element(b, 9, Bytes{}, "x")); }, "090000"},
    {"text is NUL-terminated", [](Bytes& b) { EXPECT_TRUE(put_text(b, 14, "ITLFile.tlv", "x")); },
     "0e000c49544c46696c652e746c7600"},
};

class Encode : public ::testing::TestWithParam<EncodeCase> {};

TEST_P(Encode, WritesTagBigEndianLengthValue) {
  Bytes written;
  GetParam().write(written);
  EXPECT_EQ(to_hex(written), GetParam().hex);
}

INSTANTIATE_TEST_SUITE_P(Elements, Encode, ::testing::ValuesIn(kEncodeCases), [](const auto& info) {
  std::string n = info.param.name;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return n;
});

TEST(Encode, RefusesAValueOver65535Bytes) {
  Bytes out;
  Bytes big(65536, 0);
  auto status = put_element(out, 9, big, "the certificate");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message.find("the certificate is 65536 bytes"), std::string::npos);
  EXPECT_TRUE(out.empty()) << "nothing half written";
  EXPECT_TRUE(put_element(out, 9, Bytes(65535, 0), "x"));
}

TEST(Reader, ReadsElementsWithFileOffsets) {
  Bytes file = *from_hex("ffff 050002abcd 0e0002 4100");
  ElementReader r(file, 2, file.size(), "the header");
  auto first = r.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->tag, 5);
  EXPECT_EQ(first->offset, 2u);
  EXPECT_EQ(to_hex(first->value), "abcd");
  auto second = r.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->offset, 7u);
  EXPECT_EQ(text_value(*second), "A");
  EXPECT_TRUE(r.done());
}

TEST(Reader, ContainerIsEnteredNotSkipped) {
  Bytes file = *from_hex("030005 040002 4100");
  ElementReader r(file, 0, file.size(), "the header");
  auto container = r.enter();
  ASSERT_TRUE(container);
  EXPECT_EQ(container->value.size(), 5u);
  auto inner = r.next();
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->tag, 4);
  EXPECT_EQ(inner->offset, 3u);
}

struct ReadErrorCase {
  const char* name;
  const char* hex;
  const char* message;
};

const ReadErrorCase kReadErrors[] = {
    {"length past the end", "050003abcd",
     "offset 0: tag 5 length 3 runs past the end of record 1 "
     "(2 byte(s) left)"},
    {"cut in the length", "0500", "offset 0: element cut short: 2 byte(s) left in record 1"},
    {"tag alone", "05", "offset 0: element cut short: 1 byte(s) left in record 1"},
};

class ReadError : public ::testing::TestWithParam<ReadErrorCase> {};

TEST_P(ReadError, NamesTheOffset) {
  Bytes file = *from_hex(GetParam().hex);
  ElementReader r(file, 0, file.size(), "record 1");
  auto e = r.next();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(e.error().message.rfind(GetParam().message, 0), 0u) << e.error().message;
}

INSTANTIATE_TEST_SUITE_P(Elements, ReadError, ::testing::ValuesIn(kReadErrors));

TEST(Values, WrongSizeIsNamed) {
  Bytes file = *from_hex("0800020001");
  ElementReader r(file, 0, file.size(), "the header");
  auto e = r.next();
  ASSERT_TRUE(e);
  auto v = u8_value(*e, "DIGEST_ALGORITHM");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "offset 0: DIGEST_ALGORITHM (tag 8) has length 2, expected 1");
  auto w = u16_value(*e, "ROLE");
  ASSERT_TRUE(w);
  EXPECT_EQ(*w, 1);
  EXPECT_FALSE(u32_value(*e, "TIMESTAMP"));
}

TEST(Values, TextWithoutNulIsTakenWhole) {
  Bytes file = *from_hex("040002 4142");
  ElementReader r(file, 0, file.size(), "x");
  EXPECT_EQ(text_value(*r.next()), "AB");
}

}  // namespace
}  // namespace capf::trustlist
