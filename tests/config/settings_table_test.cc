// The settings table is the one declaration of opencapf.toml: every Config member has a row, and
// the default file and docs/configuration.md say what the table says.
#include "capf/config/settings_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "capf/config/config.h"

namespace capf {
namespace {

// Counts an aggregate's members: the most initializers `T{...}` accepts.
struct AnyMember {
  template <typename T>
  operator T() const;  // only named in unevaluated operands
};

template <typename T, typename... Given>
constexpr std::size_t member_count() {
  if constexpr (requires { T{Given{}..., AnyMember{}}; }) {
    return member_count<T, Given..., AnyMember>();
  } else {
    return sizeof...(Given);
  }
}

std::size_t rows_in(std::string_view section) {
  return static_cast<std::size_t>(
      std::count_if(settings().begin(), settings().end(),
                    [&](const Setting& s) { return s.section == section; }));
}

TEST(SettingsTable, EveryConfigMemberHasARow) {
  EXPECT_EQ(member_count<ServerConfig>(), rows_in("server"));
  EXPECT_EQ(member_count<TimeoutConfig>(), rows_in("timeouts"));
  EXPECT_EQ(member_count<LscConfig>(), rows_in("lsc"));
  EXPECT_EQ(member_count<CrlConfig>(), rows_in("crl"));
  EXPECT_EQ(member_count<RenewalConfig>(), rows_in("renewal"));
  EXPECT_EQ(member_count<ItlConfig>(), rows_in("itl"));
  EXPECT_EQ(member_count<AuthConfig>(), rows_in("auth"));
  EXPECT_EQ(member_count<OperationConfig>(), rows_in("operations"));
  EXPECT_EQ(member_count<CapfIdentityConfig>(), rows_in("capf"));
  EXPECT_EQ(member_count<OnlineCaConfig>(), rows_in("issuer.online"));
  EXPECT_EQ(member_count<OfflineCaConfig>(), rows_in("issuer.offline"));
  EXPECT_EQ(member_count<IssuerConfig>(), rows_in("issuer") + 2);  // + online, offline
  EXPECT_EQ(member_count<StoreConfig>(), rows_in("store"));
  EXPECT_EQ(member_count<ClusterConfig>(), rows_in("cluster"));
  EXPECT_EQ(member_count<AdminConfig>(), rows_in("admin"));
  EXPECT_EQ(member_count<LogConfig>(), rows_in("log"));
  // data_dir and the sections above: a new section needs its line here.
  EXPECT_EQ(member_count<Config>(), 1u + 14u);
}

TEST(SettingsTable, RowsAreUniqueAndRangesHoldTheDefaults) {
  std::set<std::string> seen;
  const Config defaults;
  for (const Setting& s : settings()) {
    const std::string name = fmt::format("[{}] {}", s.section, s.key);
    EXPECT_TRUE(seen.insert(name).second) << name << " has two rows";
    if (const auto* f = std::get_if<SettingField<int>>(&s.ref)) {
      EXPECT_LE(s.min, f->read(defaults)) << name;
      EXPECT_GE(s.max, f->read(defaults)) << name;
    }
  }
}

TEST(SettingsTable, EachSettingIsReadIntoItsMember) {
  // A non-default value per row, written by the table and read back by Config::parse.
  for (const Setting& s : settings()) {
    Config changed;
    std::visit(
        [&](const auto& f) {
          using T = std::remove_cvref_t<decltype(f.get(changed))>;
          auto& v = f.get(changed);
          if constexpr (std::is_same_v<T, int>) {
            v = v == s.max ? s.min : v + 1;
          } else if constexpr (std::is_same_v<T, bool>) {
            v = !v;
          } else if constexpr (std::is_same_v<T, std::string>) {
            v = "x";
          } else if constexpr (std::is_same_v<T, IssuerMode>) {
            v = IssuerMode::kOffline;
          } else if constexpr (std::is_same_v<T, OnlineProtocol>) {
            v = OnlineProtocol::kScep;
          } else {
            v = {"rsa:2048"};
          }
        },
        s.ref);
    const std::string text =
        fmt::format("[{}]\n{} = {}\n", s.section, s.key, setting_toml(s, changed));
    Config read;
    // Only the one value counts here; other rules (an adcs URL, a valid listen) may refuse it.
    auto parsed = Config::parse(text, "/d");
    if (parsed) {
      read = *parsed;
      EXPECT_EQ(setting_toml(s, read), setting_toml(s, changed)) << text;
    } else {
      EXPECT_EQ(parsed.error().message.find("unknown setting"), std::string::npos) << text;
      EXPECT_EQ(parsed.error().message.find("must be"), std::string::npos) << text;
    }
  }
}

TEST(SettingsTable, TheDefaultFileShowsEveryRowWithItsDefault) {
  const std::string text = Config::default_file_text();
  const Config defaults;
  for (const Setting& s : settings()) {
    const std::string line = fmt::format("{} = {}", s.key, setting_toml(s, defaults));
    const std::string header = fmt::format("[{}]\n", s.section);
    const auto at = text.find(header);
    ASSERT_NE(at, std::string::npos) << header;
    const auto next = text.find("\n[", at + header.size());
    EXPECT_NE(text.substr(at, next - at).find("\n" + line), std::string::npos) << line;
  }
  auto parsed = Config::parse(text, "/d");
  ASSERT_TRUE(parsed) << parsed.error().message;
  for (const Setting& s : settings())
    EXPECT_EQ(setting_toml(s, *parsed), setting_toml(s, defaults)) << s.key;
}

// docs/configuration.md has one table row per setting: | `[section] key` | `default` | meaning |.
TEST(SettingsTable, TheDocumentationMatchesTheTable) {
  std::ifstream in(std::string(OPENCAPF_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in);
  std::set<std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `[", 0) == 0) {
      const auto second = line.find(" | ", line.find(" | ") + 3);
      documented.insert(line.substr(0, second == std::string::npos ? line.size() : second + 2));
    }
  }
  const Config defaults;
  for (const Setting& s : settings()) {
    const std::string row =
        fmt::format("| `[{}] {}` | `{}` |", s.section, s.key, setting_toml(s, defaults));
    EXPECT_EQ(documented.erase(row), 1u) << "docs/configuration.md lacks the row " << row;
  }
  for (const auto& extra : documented)
    ADD_FAILURE() << "docs/configuration.md documents a setting the table does not have: " << extra;
}

}  // namespace
}  // namespace capf
