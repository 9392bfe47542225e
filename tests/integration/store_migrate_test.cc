// `opencapf store migrate` through the real binary: a single-node data directory copied into a
// throwaway PostgreSQL (exit 0, every table's counts and the identity note), the same again
// refused (exit 1, one line), a data directory without a registry refused (exit 1, one line).
#include <algorithm>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "capf/store/migrations.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

ShellResult opencapf(const std::string& args) {
  return run_shell(fmt::format("env -u OPENCAPF_STORE {} {} 2>&1", OPENCAPF_BINARY, args));
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(StoreMigrateCommand, CopiesADataDirectoryOnceAndThenRefuses) {
  TempDir dir;
  const std::filesystem::path data = dir / "data";
  std::filesystem::create_directories(data);
  {
    SystemClock clock;
    auto registry = SqliteRegistry::open((data / "registry.db").string(), clock);
    ASSERT_TRUE(registry.has_value()) << registry.error().message;
    auto name = DeviceName::parse("SEP001122334455");
    ASSERT_TRUE(name.has_value());
    Device device{.name = *name,
                  .auth_string = std::nullopt,
                  .deadline = std::nullopt,
                  .status = OperationStatus::none(),
                  .status_detail = {},
                  .lsc = std::nullopt,
                  .description = "lobby"};
    ASSERT_TRUE((*registry)->insert_device(device).has_value());
  }
  auto server = PostgresServer::shared();
  ASSERT_TRUE(server.has_value()) << server.error().message;
  auto url = (*server)->new_database();
  ASSERT_TRUE(url.has_value()) << url.error().message;

  const std::string migrate = fmt::format("store migrate --from {} --to {}", data.string(), *url);
  ShellResult first = opencapf(migrate);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(
      first.output.find(fmt::format("source {}: schema version", (data / "registry.db").string())),
      std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("devices                         1          1"), std::string::npos)
      << first.output;
  EXPECT_NE(
      first.output.find(fmt::format("start a node with --store {} to publish the identity", *url)),
      std::string::npos)
      << first.output;

  ShellResult again = opencapf(migrate);
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_EQ(lines(again.output), 1) << again.output;
  EXPECT_NE(again.output.find("1 row(s) in devices"), std::string::npos) << again.output;

  ShellResult empty_dir =
      opencapf(fmt::format("store migrate --from {} --to {}", (dir / "none").string(), *url));
  EXPECT_EQ(empty_dir.exit_code, 1) << empty_dir.output;
  EXPECT_EQ(lines(empty_dir.output), 1) << empty_dir.output;
  EXPECT_NE(empty_dir.output.find("no registry at"), std::string::npos) << empty_dir.output;
}

}  // namespace
}  // namespace capf::testing
