// The settings table: every setting of opencapf.toml declared once (section, key, the Config
// member it fills, its range, one line of documentation). Reading, unknown-key checking, range
// validation, the file `opencapf init` writes, the [issuer] writer and the documentation check
// (tests/config/settings_table_test.cc) all walk it. Adding a setting is one row in
// settings_table.cc and its struct member in config.h.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "capf/config/config.h"

namespace capf {

// Where one setting lives in Config: a reference to the member, for writing and for reading.
template <typename T>
struct SettingField {
  T& (*get)(Config&);
  const T& (*read)(const Config&);
};

// The field at the end of a member-pointer path, e.g. field<&Config::server,
// &ServerConfig::max_sessions>().
template <auto... Path>
constexpr auto field() {
  using T = std::remove_cvref_t<decltype((std::declval<Config&>().*....*Path))>;
  return SettingField<T>{[](Config& c) -> T& { return (c.*....*Path); },
                         [](const Config& c) -> const T& { return (c.*....*Path); }};
}

using SettingRef = std::variant<SettingField<int>, SettingField<bool>, SettingField<std::string>,
                                SettingField<std::vector<std::string>>, SettingField<IssuerMode>,
                                SettingField<OnlineProtocol>>;

struct Setting {
  std::string_view section;  // "server", "issuer.online": a dot is a sub-table
  std::string_view key;
  SettingRef ref;
  int min = 0;  // whole numbers only: the accepted range
  int max = 0;
  std::string_view note;  // one line: the comment in the default file
};

// Every setting, in the order of the default file.
std::span<const Setting> settings();

// The setting's value in `config`, written as TOML (`20000`, `"capf"`, `["a", "b"]`, `true`).
std::string setting_toml(const Setting& s, const Config& config);

}  // namespace capf
