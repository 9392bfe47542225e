#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace capf {

// Hand-written: neither OpenSSL nor nlohmann-json offers a check that answers rather than throws,
// and ICU is too large a dependency for it.
// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF). Text an admin gives (descriptions, labels) must be, because it is later written as
// JSON, which cannot carry anything else.
bool is_valid_utf8(std::string_view text);

// Appends the UTF-8 bytes of `code_point` (at most U+10FFFF; the caller has checked it), for the
// decoders of HTML character references and of UTF-16 text.
void append_utf8(std::string& out, std::uint32_t code_point);

}  // namespace capf
