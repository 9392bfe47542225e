// DeviceName: a validated CAPF device name.
//   SEP + 12 hex digits            IP phones (stored upper-case)
//   CSF + 1..12 of [A-Za-z0-9._-]  Jabber for desktop (15 characters at most)
//   BOT/TCT/TAB + 1..12 of [A-Z0-9._-]  Jabber for mobile (upper-case, 15 at most)
//   anything else: 1..64 of [A-Za-z0-9._-], the first a letter or digit (CTI and other clients)
// Every name parse accepts is also a safe file name: no '/', no leading '.' or '-', nothing a
// shell, a tar member or a spreadsheet cell reads specially (offline export writes
// DIR/<name>.csr).
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "capf/common/result.h"

namespace capf {

class DeviceName {
 public:
  // Validates and normalises (SEP names are upper-cased). The error says which rule failed and
  // what a valid name of that kind looks like. For every name that comes from outside: admins
  // (CLI, API, CSV import) and phones.
  static Result<DeviceName> parse(std::string_view text);
  // For names read back from the registry only: parse's rules, but a generic name an older
  // version stored (any printable ASCII without spaces, 64 at most, e.g. "a/b") is kept as it
  // is, so that such a device stays listable, showable and removable after an upgrade. Such a
  // name can no longer be set; is_file_safe() tells them apart.
  static Result<DeviceName> parse_stored(std::string_view text);
  // Empty: names no device (a placeholder in records that are filled in later).
  DeviceName() = default;

  const std::string& str() const { return name_; }
  bool is_phone() const { return name_.rfind("SEP", 0) == 0; }
  // Whether parse accepts the name as it is (false for the older names parse_stored keeps),
  // and so whether it can name a file.
  bool is_file_safe() const;

  friend auto operator<=>(const DeviceName&, const DeviceName&) = default;

 private:
  explicit DeviceName(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace capf
