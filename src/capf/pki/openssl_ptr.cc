#include "capf/pki/openssl_ptr.h"

#include <openssl/err.h>

namespace capf::pki {

std::string openssl_errors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!out.empty()) {
      out += "; ";
    }
    out += text;
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  if (out.empty()) {
    return "no detail from OpenSSL";
  }
  return out;
}

}  // namespace capf::pki
