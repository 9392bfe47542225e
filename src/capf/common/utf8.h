#pragma once

#include <string_view>

namespace capf {

// Hand-written: neither OpenSSL nor nlohmann-json offers a check that answers rather than throws,
// and ICU is too large a dependency for it.
// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). Text an admin gives (descriptions, labels) must be, because it is later written as
// JSON, which cannot carry anything else.
bool is_valid_utf8(std::string_view text);

}  // namespace capf
