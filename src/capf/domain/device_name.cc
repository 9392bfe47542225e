#include "capf/domain/device_name.h"

#include <algorithm>
#include <cctype>

namespace capf {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i])
      return false;
  }
  return true;
}

bool jabber_char(char c, bool upper_only) {
  if (c >= '0' && c <= '9')
    return true;
  if (c >= 'A' && c <= 'Z')
    return true;
  if (!upper_only && c >= 'a' && c <= 'z')
    return true;
  return c == '.' || c == '_' || c == '-';
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
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "device name contains the byte 0x{:02x}: use printable ASCII without spaces",
          static_cast<unsigned char>(c));
    }
  }
  return DeviceName(std::string(text));
}

}  // namespace capf
