// Which registry a data directory opens: the SQLite file by default, the PostgreSQL database when
// a store URL is in effect (OPENCAPF_STORE, which --store sets, or [store] url), through
// Environment::init and Environment::open as every command and `serve` use them.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "capf/daemon/environment.h"
#include "capf/store/postgres/pg_registry.h"
#include "capf/trust/trust_stores.h"
#include "tests/store/postgres_server.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class StoreSelection : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("OPENCAPF_STORE");
    data_ = dir_ / "data";
    std::filesystem::create_directories(data_);
  }
  void TearDown() override { ::unsetenv("OPENCAPF_STORE"); }

  std::string new_database() {
    auto server = PostgresServer::shared();
    EXPECT_TRUE(server.has_value()) << (server ? "" : server.error().message);
    if (!server)
      return "";
    auto url = (*server)->new_database();
    EXPECT_TRUE(url.has_value()) << (url ? "" : url.error().message);
    return url ? *url : "";
  }
  void write_toml(const std::string& text) { std::ofstream(data_ / "opencapf.toml") << text; }
  static InitOptions quick_init() {
    InitOptions o;
    o.key = {KeyType::kEc, 256};
    return o;
  }

  TempDir dir_;
  std::filesystem::path data_;
};

// The certificates of capf-trust in the PostgreSQL database at `url`, read directly.
std::size_t capf_trust_in(const std::string& url) {
  SystemClock clock;
  auto registry = PgRegistry::open(url, clock);
  EXPECT_TRUE(registry.has_value()) << (registry ? "" : registry.error().message);
  if (!registry)
    return 0;
  auto entries = (*registry)->list_trust(kCapfTrust);
  return entries ? entries->size() : 0;
}

TEST_F(StoreSelection, WithoutAUrlTheRegistryIsTheSqliteFile) {
  ASSERT_TRUE(Environment::init(data_, quick_init()).has_value());
  EXPECT_TRUE(std::filesystem::exists(data_ / "registry.db"));
}

TEST_F(StoreSelection, OpencapfStoreSelectsPostgresForInitAndOpen) {
  const std::string url = new_database();
  ::setenv("OPENCAPF_STORE", url.c_str(), 1);
  auto report = Environment::init(data_, quick_init());
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_FALSE(std::filesystem::exists(data_ / "registry.db"));
  EXPECT_EQ(capf_trust_in(url), 1u);  // init put the CAPF certificate there

  auto env = Environment::open(data_);
  ASSERT_TRUE(env.has_value()) << env.error().message;
  auto listed = (*env)->registry().list_trust(kCapfTrust);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(data_ / "registry.db"));
}

TEST_F(StoreSelection, TheStoreUrlSettingSelectsPostgres) {
  ASSERT_TRUE(Environment::init(data_, quick_init()).has_value());  // SQLite first
  const std::string url = new_database();
  write_toml("[store]\nurl = \"" + url + "\"\n");
  auto env = Environment::open(data_);
  ASSERT_TRUE(env.has_value()) << env.error().message;
  auto listed = (*env)->registry().list_trust(kCapfTrust);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->empty());  // the new, empty database: not the SQLite file init filled
}

TEST_F(StoreSelection, APasswordInTheStoreUrlIsRefusedNamingThePassfile) {
  ASSERT_TRUE(Environment::init(data_, quick_init()).has_value());
  ::setenv("OPENCAPF_STORE", "postgresql://capf:s3cret@127.0.0.1:5432/capf", 1);
  auto env = Environment::open(data_);
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(env.error().message.find("passfile"), std::string::npos) << env.error().message;
  EXPECT_EQ(env.error().message.find("s3cret"), std::string::npos) << env.error().message;
}

TEST_F(StoreSelection, BackendPostgresqlWithoutAUrlIsRefusedNamingTheSetting) {
  ASSERT_TRUE(Environment::init(data_, quick_init()).has_value());
  write_toml("[store]\nbackend = \"postgresql\"\n");
  auto env = Environment::open(data_);
  ASSERT_FALSE(env.has_value());
  EXPECT_NE(env.error().message.find("[store] url"), std::string::npos) << env.error().message;
}

}  // namespace
}  // namespace capf::testing
