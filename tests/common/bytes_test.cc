#include "capf/common/bytes.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

TEST(Bytes, HexRoundTrip) {
  Bytes b{0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "0001abff");
  EXPECT_EQ(from_hex("0001ABff"), b);
  EXPECT_EQ(from_hex("00:01:ab:ff"), b);
}

TEST(Bytes, HexRejectsOddLengthAndGarbage) {
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex("a:b").has_value());
}

TEST(Bytes, BigEndianHelpers) {
  Bytes out;
  put_u16be(out, 0x1234);
  put_u32be(out, 0xdeadbeef);
  put_u32le(out, 0x0000002a);
  EXPECT_EQ(to_hex(out), "1234deadbeef2a000000");
  EXPECT_EQ(get_u16be(out.data()), 0x1234);
  EXPECT_EQ(get_u32be(out.data() + 2), 0xdeadbeefu);
}

TEST(Bytes, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal(as_bytes("123456"), as_bytes("123456")));
  EXPECT_FALSE(constant_time_equal(as_bytes("123456"), as_bytes("123457")));
  EXPECT_FALSE(constant_time_equal(as_bytes("12345"), as_bytes("123456")));
}

}  // namespace
}  // namespace capf
