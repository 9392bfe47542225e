#include "capf/common/pkcs11_uri.h"

#include "capf/common/strings.h"

namespace capf {

namespace {

constexpr std::string_view kScheme = "pkcs11:";
constexpr std::string_view kPin = "pin-value=";

// Appends the attributes of `part` (separated by `separator`) except pin-value; whether it left
// one out.
bool append_without_pin(std::string& out, std::string_view part, char separator) {
  bool first = true;
  bool dropped = false;
  while (true) {
    std::size_t end = part.find(separator);
    std::string_view attribute = part.substr(0, end);
    if (starts_with_ci(attribute, kPin)) {
      dropped = true;
    } else if (!attribute.empty()) {
      if (!first) {
        out += separator;
      }
      out += attribute;
      first = false;
    }
    if (end == std::string_view::npos) {
      break;
    }
    part.remove_prefix(end + 1);
  }
  return dropped;
}

// The PKCS#11 URI `uri` without its pin-value attributes; `dropped` tells whether it had any.
std::string without_pin(std::string_view uri, bool& dropped) {
  std::string_view rest = uri.substr(kScheme.size());
  std::string_view query;
  if (std::size_t mark = rest.find('?'); mark != std::string_view::npos) {
    query = rest.substr(mark + 1);
    rest = rest.substr(0, mark);
  }
  std::string out(kScheme);
  dropped = append_without_pin(out, rest, ';');
  std::string kept_query;
  dropped = append_without_pin(kept_query, query, '&') || dropped;
  if (!kept_query.empty()) {
    out += '?';
    out += kept_query;
  }
  return out;
}

}  // namespace

bool is_pkcs11_uri(std::string_view text) {
  return text.substr(0, kScheme.size()) == kScheme;
}

bool pkcs11_uri_has_pin(std::string_view uri) {
  bool dropped = false;
  if (is_pkcs11_uri(uri))
    (void)without_pin(uri, dropped);
  return dropped;
}

std::string redact_pkcs11_uri(std::string_view uri) {
  bool dropped = false;
  return is_pkcs11_uri(uri) ? without_pin(uri, dropped) : std::string(uri);
}

}  // namespace capf
