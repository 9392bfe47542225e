#include "capf/domain/device_name.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "capf/common/strings.h"

namespace capf {

namespace {

bool jabber_char(char c, bool upper_only) {
  if (c >= '0' && c <= '9')
    return true;
  if (c >= 'A' && c <= 'Z')
    return true;
  if (!upper_only && c >= 'a' && c <= 'z')
    return true;
  return c == '.' || c == '_' || c == '-';
}

constexpr std::string_view kGenericRule =
    "use letters, digits, '.', '_' and '-' (1 to 64 characters, the first a letter or digit), "
    "e.g. CTI-App-1";

bool has_reserved_prefix(std::string_view s) {
  return starts_with_ci(s, "SEP") || s.starts_with("CSF") || s.starts_with("BOT") ||
         s.starts_with("TCT") || s.starts_with("TAB");
}

// The name as it can be shown in a message: bytes outside printable ASCII as \xNN.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 0x20 && c < 0x7f)
      out.push_back(c);
    else
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
  }
  return out;
}

}  // namespace

Result<DeviceName> DeviceName::parse(std::string_view text) {
  if (text.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "device name is empty: give e.g. SEP001122334455");
  }
  if (starts_with_ci(text, "SEP")) {
    if (text.size() != 15 || !std::all_of(text.begin() + 3, text.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return make_error(ErrorCode::kInvalidArgument,
                        "device name '{}' is not SEP followed by 12 hex digits (the phone's MAC "
                        "address), e.g. SEP001122334455",
                        text);
    }
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
      return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    });
    return DeviceName(std::move(upper));
  }
  for (std::string_view prefix : {"CSF", "BOT", "TCT", "TAB"}) {
    if (text.substr(0, 3) != prefix)
      continue;
    bool upper_only = prefix != "CSF";
    if (text.size() < 4 || text.size() > 15 ||
        !std::all_of(text.begin() + 3, text.end(),
                     [upper_only](char c) { return jabber_char(c, upper_only); })) {
      return make_error(ErrorCode::kInvalidArgument,
                        "device name '{}' is not a valid {} name: {} followed by 1 to 12 of "
                        "{}, 15 characters at most",
                        text, prefix, prefix, upper_only ? "A-Z 0-9 . _ -" : "A-Z a-z 0-9 . _ -");
    }
    return DeviceName(std::string(text));
  }
  if (text.size() > 64) {
    return make_error(ErrorCode::kInvalidArgument, "device name is {} characters long: 64 at most",
                      text.size());
  }
  // Letters, digits and ._- only, the first a letter or digit: what phones and Jabber use, and
  // nothing that is a path ("/", ".."), an option ("-x"), a CSV or DN separator (",", "=") or a
  // spreadsheet formula.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (alnum || (i > 0 && (c == '.' || c == '_' || c == '-')))
      continue;
    std::string what = c > 0x20 && c < 0x7f
                           ? fmt::format("'{}'", c)
                           : fmt::format("the byte 0x{:02x}", static_cast<unsigned char>(c));
    return make_error(ErrorCode::kInvalidArgument, "device name '{}' has {} at character {}: {}",
                      printable(text), what, i + 1, kGenericRule);
  }
  return DeviceName(std::string(text));
}

Result<DeviceName> DeviceName::parse_stored(std::string_view text) {
  auto strict = parse(text);
  if (strict || text.empty() || text.size() > 64 || has_reserved_prefix(text))
    return strict;
  // The rule before names were restricted to ._- : printable ASCII without spaces.
  if (std::any_of(text.begin(), text.end(), [](char c) { return c <= 0x20 || c >= 0x7f; }))
    return strict;
  return DeviceName(std::string(text));
}

bool DeviceName::is_file_safe() const {
  auto strict = parse(name_);
  return strict && strict->name_ == name_;
}

}  // namespace capf
