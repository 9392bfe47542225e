#include "capf/common/utf8.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

namespace capf {
namespace {

struct Utf8Case {
  std::string text;
  bool valid;
};

TEST(Utf8, WellFormedTextOnly) {
  const Utf8Case cases[] = {
      {"", true},
      {"Lobby phone", true},
      {"Caf\xC3\xA9", true},           // é
      {"\xE2\x82\xAC 5", true},        // €
      {"\xF0\x9F\x93\x9E", true},      // U+1F4DE
      {"\xF4\x8F\xBF\xBF", true},      // U+10FFFF, the last code point
      {"\xED\x9F\xBF", true},          // U+D7FF, just below the surrogates
      {"\xC3", false},                 // truncated
      {"\xE2\x82", false},             // truncated
      {"\x80", false},                 // lone continuation byte
      {"\xC0\xAF", false},             // overlong '/'
      {"\xE0\x80\xAF", false},         // overlong '/'
      {"\xF0\x80\x80\xAF", false},     // overlong '/'
      {"\xED\xA0\x80", false},         // U+D800, a surrogate
      {"\xF4\x90\x80\x80", false},     // above U+10FFFF
      {"\xF5\x80\x80\x80", false},     // never a lead byte
      {"\xFF", false},                 // never in UTF-8
      {"ok\xC3\x28", false},           // bad continuation
      {std::string("a\0b", 3), true},  // NUL is well-formed (other rules refuse it)
  };
  for (const auto& c : cases)
    EXPECT_EQ(is_valid_utf8(c.text), c.valid) << "case of " << c.text.size() << " bytes";
}

TEST(Utf8, AppendsOneToFourBytesACodePoint) {
  const std::pair<std::uint32_t, std::string> cases[] = {
      {0x41, "A"},
      {0x7F, "\x7F"},
      {0x80, "\xC2\x80"},
      {0xE9, "\xC3\xA9"},  // é
      {0x7FF, "\xDF\xBF"},
      {0x800, "\xE0\xA0\x80"},
      {0x20AC, "\xE2\x82\xAC"},  // €
      {0xFFFF, "\xEF\xBF\xBF"},
      {0x10000, "\xF0\x90\x80\x80"},
      {0x1F4DE, "\xF0\x9F\x93\x9E"},
      {0x10FFFF, "\xF4\x8F\xBF\xBF"},  // the last code point
  };
  for (const auto& [code_point, bytes] : cases) {
    std::string out = "x";
    append_utf8(out, code_point);
    EXPECT_EQ(out, "x" + bytes) << "U+" << std::hex << code_point;
    EXPECT_TRUE(is_valid_utf8(out));
  }
}

}  // namespace
}  // namespace capf
