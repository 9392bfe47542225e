// ASCII text helpers the parsers share: trimming and a case-insensitive prefix test. ASCII only,
// so the answers do not depend on the C locale.
#pragma once

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

}  // namespace capf
