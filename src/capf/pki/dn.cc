// parse_dn (declared in certificate.h): distinguished names as admins type them.
#include <array>
#include <string>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "capf/common/strings.h"
#include "capf/pki/certificate.h"
#include "capf/pki/ossl_util.h"

namespace capf::pki {

namespace {

struct Attribute {
  std::string_view key;
  int nid;
  unsigned long mask;  // the one ASN.1 string type the value is written as
  long min_chars;
  long max_chars;
};

// String types follow RFC 5280 appendix A: DirectoryString values as UTF8String, countryName and
// serialNumber as PrintableString, emailAddress and domainComponent as IA5String.
constexpr std::array<Attribute, 9> kAttributes = {{
    {"CN", NID_commonName, B_ASN1_UTF8STRING, 1, 64},
    {"O", NID_organizationName, B_ASN1_UTF8STRING, 1, 64},
    {"OU", NID_organizationalUnitName, B_ASN1_UTF8STRING, 1, 64},
    {"L", NID_localityName, B_ASN1_UTF8STRING, 1, 128},
    {"ST", NID_stateOrProvinceName, B_ASN1_UTF8STRING, 1, 128},
    {"C", NID_countryName, B_ASN1_PRINTABLESTRING, 2, 2},
    {"emailAddress", NID_pkcs9_emailAddress, B_ASN1_IA5STRING, 1, 255},
    {"serialNumber", NID_serialNumber, B_ASN1_PRINTABLESTRING, 1, 64},
    {"DC", NID_domainComponent, B_ASN1_IA5STRING, 1, 63},
}};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// Splits at unescaped `sep`; the parts keep their backslashes. Returns false on a trailing "\".
bool split_escaped(std::string_view text, char sep, std::vector<std::string_view>& parts) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      if (i + 1 == text.size()) {
        return false;
      }
      ++i;
    } else if (text[i] == sep) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return true;
}

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string known_keys() {
  std::string out;
  for (const Attribute& a : kAttributes) {
    out += out.empty() ? "" : ", ";
    out += a.key;
  }
  return out;
}

std::string_view type_name(unsigned long mask) {
  return mask == B_ASN1_PRINTABLESTRING ? "printablestring"
         : mask == B_ASN1_IA5STRING     ? "ia5string (ascii)"
                                        : "utf8string";
}

Status add_part(X509_NAME* name, std::string_view part) {
  std::size_t eq = std::string_view::npos;
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == '\\') {
      ++i;
    } else if (part[i] == '=') {
      eq = i;
      break;
    }
  }
  if (eq == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "dn part '{}' has no '=': write it as KEY=value",
                      part);
  }
  std::string_view key = trim(part.substr(0, eq), kBlanks);
  std::string value = unescape(trim(part.substr(eq + 1), kBlanks));
  const Attribute* attribute = nullptr;
  for (const Attribute& a : kAttributes) {
    if (iequal(a.key, key)) {
      attribute = &a;
    }
  }
  if (attribute == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      "dn part '{}' has unknown attribute '{}': use one of {}", part, key,
                      known_keys());
  }
  if (value.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "dn part '{}' has an empty value", part);
  }
  if (attribute->nid == NID_countryName) {
    for (char c : value) {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return make_error(ErrorCode::kInvalidArgument,
                          "dn part '{}': C must be a two-letter country code such as NZ", part);
      }
    }
  }
  ASN1_STRING* raw = nullptr;
  int type = ASN1_mbstring_ncopy(&raw, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), MBSTRING_UTF8, attribute->mask,
                                 attribute->min_chars, attribute->max_chars);
  detail::Asn1StringPtr str(raw);
  if (type < 0 || !str) {
    int reason = ERR_GET_REASON(ERR_peek_last_error());
    ERR_clear_error();
    if (reason == ASN1_R_STRING_TOO_LONG || reason == ASN1_R_STRING_TOO_SHORT) {
      return make_error(ErrorCode::kInvalidArgument,
                        "dn part '{}': {} must be {}..{} characters long", part, attribute->key,
                        attribute->min_chars, attribute->max_chars);
    }
    if (reason == ASN1_R_INVALID_UTF8STRING) {
      return make_error(ErrorCode::kInvalidArgument, "dn part '{}' is not valid utf-8", part);
    }
    return make_error(ErrorCode::kInvalidArgument, "dn part '{}' has characters a {} cannot hold",
                      part, type_name(attribute->mask));
  }
  if (X509_NAME_add_entry_by_NID(name, attribute->nid, type, ASN1_STRING_get0_data(str.get()),
                                 ASN1_STRING_length(str.get()), -1, 0) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, fmt::format("cannot add dn part '{}'", part));
  }
  return ok();
}

}  // namespace

// Here and in add_part only blanks pad a DN and its parts: any other character, a line break
// included, stays in the value the admin typed, so a name is never changed silently.
Result<X509NamePtr> parse_dn(std::string_view dn) {
  std::string_view text = trim(dn, kBlanks);
  if (text.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the distinguished name is empty: write it as CN=name,O=organisation");
  }
  const bool slashes = text.front() == '/';
  if (slashes) {
    text.remove_prefix(1);
  }
  std::vector<std::string_view> parts;
  if (!split_escaped(text, slashes ? '/' : ',', parts)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the distinguished name '{}' ends with a lone backslash", dn);
  }
  X509NamePtr name(X509_NAME_new());
  if (!name) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot allocate a name");
  }
  for (std::string_view part : parts) {
    part = trim(part, kBlanks);
    if (part.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the distinguished name '{}' has an empty part (doubled or trailing "
                        "separator?)",
                        dn);
    }
    CAPF_TRY(add_part(name.get(), part));
  }
  return name;
}

}  // namespace capf::pki
