// ASCII text helpers the parsers share: trimming, case-insensitive prefix and suffix tests, and
// lower case. ASCII only, so the answers do not depend on the C locale.
#pragma once

#include <string>
#include <string_view>

namespace capf {

// Space, tab, LF, VT, FF and CR: what std::isspace means in the "C" locale.
inline constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";
// Space and tab only, for text where a line break is content rather than padding.
inline constexpr std::string_view kBlanks = " \t";

// `text` without its leading and trailing characters from `chars` (ASCII whitespace by default).
std::string_view trim(std::string_view text, std::string_view chars = kAsciiWhitespace);

// Whether `text` begins with `prefix`, ASCII letters compared without regard to case.
bool starts_with_ci(std::string_view text, std::string_view prefix);

// Whether `text` ends with `suffix`, ASCII letters compared without regard to case.
bool ends_with_ci(std::string_view text, std::string_view suffix);

// `text` with its ASCII letters in lower case; other bytes unchanged.
std::string to_lower(std::string_view text);

}  // namespace capf
