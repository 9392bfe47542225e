// PgRegistry: joins the conformance suite against a throwaway PostgreSQL (postgres_server.h),
// plus what only a shared server has: bad URLs, another program's database, a schema newer than
// the binary, nodes migrating at once, a dropped connection.
#include "capf/store/postgres/pg_registry.h"

#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "capf/store/migrations.h"
#include "capf/store/postgres/pg_connection.h"
#include "tests/store/postgres_server.h"
#include "tests/store/registry_conformance.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// One fresh database of the shared server; every open() is a new connection, as another node.
class PostgresBackend final : public RegistryBackend {
 public:
  explicit PostgresBackend(std::string url) : url_(std::move(url)) {}
  Result<std::unique_ptr<Registry>> open(const Clock& clock) override {
    CAPF_ASSIGN_OR_RETURN(auto registry, PgRegistry::open(url_, clock));
    return std::unique_ptr<Registry>(std::move(registry));
  }

 private:
  std::string url_;
};

std::unique_ptr<RegistryBackend> make_postgres_backend() {
  auto server = PostgresServer::shared();
  if (!server) {
    ADD_FAILURE() << server.error().message;
    return nullptr;
  }
  auto url = (*server)->new_database();
  if (!url) {
    ADD_FAILURE() << url.error().message;
    return nullptr;
  }
  return std::make_unique<PostgresBackend>(*url);
}

INSTANTIATE_TEST_SUITE_P(Postgres, RegistryConformance,
                         ::testing::Values(RegistryBackendFactory{"postgres",
                                                                  &make_postgres_backend}),
                         RegistryConformance::backend_name);

class PgRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresServer::shared();
    ASSERT_TRUE(is_ok(server));
    server_ = *server;
    auto url = server_->new_database();
    ASSERT_TRUE(is_ok(url));
    url_ = *url;
    database_ = url_.substr(url_.rfind('/') + 1);
  }

  // The first column of the first row of `sql` in the test's database.
  std::int64_t count(const std::string& sql) {
    auto connection = PgConnection::open(url_);
    EXPECT_TRUE(is_ok(connection));
    if (!connection)
      return -1;
    auto rows = (*connection)->execute(sql, {}, "counting");
    EXPECT_TRUE(is_ok(rows));
    return rows ? rows->row(0).integer(0) : -1;
  }
  std::int64_t tables() {
    return count(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()");
  }

  FakeClock clock_{from_unix(1'750'000'000)};
  PostgresServer* server_ = nullptr;
  std::string url_;
  std::string database_;
};

// `opened` failed with `code`, in one line that names each of `parts`.
template <typename T>
void expect_refused(const Result<T>& opened, ErrorCode code,
                    std::initializer_list<std::string> parts) {
  ASSERT_TRUE(is_error(opened, code));
  const std::string& m = opened.error().message;
  for (const std::string& part : parts) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in: " << m;
  }
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST_F(PgRegistryTest, MigratesAFreshDatabaseToTheLatestSchema) {
  ASSERT_OK_AND_ASSIGN(auto registry, PgRegistry::open(url_, clock_));
  ASSERT_OK_AND_ASSIGN(int version, registry->schema_version());
  EXPECT_EQ(version, latest_schema_version());
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_version"),
            static_cast<std::int64_t>(migrations().size()));
}

TEST_F(PgRegistryTest, NodesStartingTogetherMigrateOnce) {
  constexpr int kNodes = 4;
  std::vector<Status> results(kNodes);
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&, i] {
      auto registry = PgRegistry::open(url_, clock_);
      results[static_cast<std::size_t>(i)] = registry ? ok() : Status(registry.error());
    });
  }
  for (auto& t : nodes)
    t.join();
  for (const Status& s : results)
    EXPECT_TRUE(is_ok(s));
  // One row per migration: nobody applied one twice.
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_version"),
            static_cast<std::int64_t>(migrations().size()));
}

TEST_F(PgRegistryTest, UnreachableServerIsOneLineNamingTheFix) {
  const std::string url =
      "postgresql://capf@127.0.0.1:" + std::to_string(free_loopback_port()) + "/capf";
  auto registry = PgRegistry::open(url, clock_);
  expect_refused(registry, ErrorCode::kUnavailable,
                 {"cannot connect to PostgreSQL at '" + url + "'", "check the URL"});
}

TEST_F(PgRegistryTest, AMissingDatabaseIsUnavailableNamingIt) {
  auto registry = PgRegistry::open(server_->url("no_such_db"), clock_);
  expect_refused(registry, ErrorCode::kUnavailable, {"no_such_db"});
}

TEST_F(PgRegistryTest, AUrlWithAPasswordIsRefusedBeforeConnecting) {
  for (const std::string url :
       {"postgresql://capf:s3cret@127.0.0.1:1/capf", "host=127.0.0.1 dbname=capf password=s3cret",
        "postgresql://capf@127.0.0.1:1/capf?password=s3cret"}) {
    SCOPED_TRACE(url);
    auto registry = PgRegistry::open(url, clock_);
    expect_refused(registry, ErrorCode::kInvalidArgument,
                   {"passfile", "PGPASSFILE", "password_file"});
    if (!registry) {
      EXPECT_EQ(registry.error().message.find("s3cret"), std::string::npos)
          << registry.error().message;
    }
  }
}

TEST_F(PgRegistryTest, AMalformedUrlIsInvalidArgument) {
  for (const std::string url :
       {"host=127.0.0.1 dbname", "postgresql://capf@127.0.0.1/capf?no_such_option=1"}) {
    SCOPED_TRACE(url);
    auto registry = PgRegistry::open(url, clock_);
    expect_refused(registry, ErrorCode::kInvalidArgument, {"postgresql://USER@HOST:PORT/DATABASE"});
  }
}

TEST_F(PgRegistryTest, AnotherProgramsDatabaseIsRefusedAndLeftAlone) {
  ASSERT_TRUE(is_ok(server_->run_sql(database_, "CREATE TABLE customers (id INTEGER)")));
  auto registry = PgRegistry::open(url_, clock_);
  expect_refused(registry, ErrorCode::kDatabase, {"another program", "empty database"});
  EXPECT_EQ(tables(), 1);  // nothing created beside it
}

TEST_F(PgRegistryTest, ASchemaNewerThanThisBuildIsRefusedAndLeftAlone) {
  { ASSERT_OK_AND_ASSIGN(auto registry, PgRegistry::open(url_, clock_)); }
  ASSERT_TRUE(is_ok(server_->run_sql(
      database_, "INSERT INTO schema_version VALUES (999, 'from a newer opencapf', 0)")));
  const std::int64_t before = count("SELECT COUNT(*) FROM schema_version");
  auto registry = PgRegistry::open(url_, clock_);
  expect_refused(registry, ErrorCode::kDatabase,
                 {"schema version 999 is newer", "upgrade opencapf"});
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_version"), before);
}

TEST_F(PgRegistryTest, AnUnreadablePasswordFileIsNamed) {
  TempDir dir;
  PgOptions options;
  options.password_file = (dir / "missing-password").string();
  auto registry = PgRegistry::open(url_, clock_, options);
  ASSERT_FALSE(registry.has_value());
  EXPECT_NE(registry.error().message.find("password_file"), std::string::npos)
      << registry.error().message;
  EXPECT_NE(registry.error().message.find("missing-password"), std::string::npos);
}

TEST_F(PgRegistryTest, ADroppedConnectionFailsOneCallAndTheNextReconnects) {
  ASSERT_OK_AND_ASSIGN(auto registry, PgRegistry::open(url_, clock_));
  ASSERT_TRUE(is_ok(registry->insert_device(blank_device(*DeviceName::parse("SEP0000000000AA")))));
  // What a PostgreSQL restart or failover does to every open session.
  ASSERT_TRUE(is_ok(server_->run_sql(
      "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                      database_ + "'")));
  auto lost = registry->find_device(*DeviceName::parse("SEP0000000000AA"));
  ASSERT_TRUE(is_error(lost, ErrorCode::kUnavailable));
  EXPECT_NE(lost.error().message.find("connection to PostgreSQL was lost"), std::string::npos)
      << lost.error().message;
  ASSERT_OK_AND_ASSIGN(auto found, registry->find_device(*DeviceName::parse("SEP0000000000AA")));
  EXPECT_TRUE(found.has_value());
}

}  // namespace
}  // namespace capf::testing
