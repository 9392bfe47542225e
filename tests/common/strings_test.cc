#include "capf/common/strings.h"

#include <gtest/gtest.h>

#include <string>

namespace capf {
namespace {

struct TrimCase {
  std::string text;
  std::string chars;
  std::string trimmed;
};

TEST(Strings, TrimRemovesTheGivenCharactersAtBothEndsOnly) {
  const std::string ws(kAsciiWhitespace);
  const std::string blanks(kBlanks);
  const TrimCase cases[] = {
      {"", ws, ""},
      {"   ", ws, ""},
      {" \t\r\n\v\f", ws, ""},
      {"abc", ws, "abc"},
      {"  abc  ", ws, "abc"},
      {"\tabc\r\n", ws, "abc"},
      {"\v\fabc\f\v", ws, "abc"},
      {" a b\tc ", ws, "a b\tc"},                              // inner whitespace stays
      {"\xC2\xA0x\xC2\xA0", ws, "\xC2\xA0x\xC2\xA0"},          // no-break space is not ASCII
      {std::string("\0x\0", 3), ws, std::string("\0x\0", 3)},  // NUL is not whitespace
      {" \tabc\t ", blanks, "abc"},
      {"\nabc\r\n", blanks, "\nabc\r\n"},  // blanks keep line breaks
      {" \r\n ", blanks, "\r\n"},
      {"  ", blanks, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(trim(c.text, c.chars), c.trimmed) << "case '" << c.text << "'";
  }
}

TEST(Strings, TrimDefaultsToAsciiWhitespaceAndViewsTheInput) {
  const std::string text = "\r\n key = value \t";
  const std::string_view trimmed = trim(text);
  EXPECT_EQ(trimmed, "key = value");
  EXPECT_EQ(trimmed.data(), text.data() + 3);
}

struct PrefixCase {
  std::string text;
  std::string prefix;
  bool starts;
};

TEST(Strings, StartsWithCiComparesAsciiLettersWithoutCase) {
  const PrefixCase cases[] = {
      {"", "", true},
      {"abc", "", true},
      {"", "a", false},
      {"SEP001122334455", "SEP", true},
      {"sep001122334455", "SEP", true},
      {"SeP001122334455", "sep", true},
      {"Application/JSON; charset=utf-8", "application/json", true},
      {"application/problem+json", "application/json", false},
      {"SE", "SEP", false},  // shorter than the prefix
      {"XSEP", "SEP", false},
      {"<SCRIPT>", "<script", true},
      {"[@", "{`", false},                        // neighbours of the letters are not folded
      {"\xC3\x89t\xC3\xA9", "\xC3\xA9t", false},  // non-ASCII bytes compare exactly
      {"\xC3\xA9t\xC3\xA9", "\xC3\xA9T", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(starts_with_ci(c.text, c.prefix), c.starts)
        << "'" << c.text << "' starts with '" << c.prefix << "'";
  }
}

TEST(Strings, EndsWithCiComparesAsciiLettersWithoutCase) {
  const PrefixCase cases[] = {
      {"", "", true},        {"upload.TGZ", ".tgz", true},   {"upload.tar.gz", ".TAR.GZ", true},
      {"gz", ".gz", false},  {"upload.tgzx", ".tgz", false}, {"a.tar", ".tgz", false},
      {"Ã", "Ã©", false},  // non-ASCII bytes compare exactly
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ends_with_ci(c.text, c.prefix), c.starts)
        << "'" << c.text << "' ends with '" << c.prefix << "'";
  }
}

TEST(Strings, ToLowerFoldsAsciiLettersOnly) {
  EXPECT_EQ(to_lower("SEP00AABB-Https://X.Example/Z"), "sep00aabb-https://x.example/z");
  EXPECT_EQ(to_lower("[@]{`}"), "[@]{`}");
  EXPECT_EQ(to_lower("\xC3\x89T"), "\xC3\x89t");
  EXPECT_EQ(to_lower(""), "");
}

}  // namespace
}  // namespace capf
