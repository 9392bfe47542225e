// DeviceName: a validated CAPF device name.
//   SEP + 12 hex digits            IP phones (stored upper-case)
//   CSF + 1..12 of [A-Za-z0-9._-]  Jabber for desktop (15 characters at most)
//   BOT/TCT/TAB + 1..12 of [A-Z0-9._-]  Jabber for mobile (upper-case, 15 at most)
//   anything else: 1..64 printable ASCII characters without spaces (CTI and other clients)
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "capf/common/result.h"

namespace capf {

class DeviceName {
 public:
  // Validates and normalises (SEP names are upper-cased). The error says which rule failed and
  // what a valid name of that kind looks like.
  static Result<DeviceName> parse(std::string_view text);
  // Empty: names no device (a placeholder in records that are filled in later).
  DeviceName() = default;

  const std::string& str() const { return name_; }
  bool is_phone() const { return name_.rfind("SEP", 0) == 0; }

  friend auto operator<=>(const DeviceName&, const DeviceName&) = default;

 private:
  explicit DeviceName(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace capf
