// SqliteRegistry: joins the conformance suite, plus what only SQLite has (the file, its pragmas,
// its locking), with a raw connection to the file (tests/support/raw_db.h) where one is needed.
#include "capf/store/sqlite/sqlite_registry.h"

#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include <gtest/gtest.h>

#include "capf/store/migrations.h"
#include "tests/store/registry_conformance.h"
#include "tests/support/raw_db.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
using capf::testing::TempDir;

class SqliteBackend final : public RegistryBackend {
 public:
  Result<std::unique_ptr<Registry>> open(const Clock& clock) override {
    auto registry = SqliteRegistry::open((dir_.path() / "registry.db").string(), clock);
    if (!registry) {
      return registry.error();
    }
    return std::unique_ptr<Registry>(std::move(registry).value());
  }

 private:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, RegistryConformance,
                         ::testing::Values(RegistryBackendFactory{
                             "sqlite", [] { return std::make_unique<SqliteBackend>(); }}),
                         RegistryConformance::backend_name);

class SqliteRegistryTest : public ::testing::Test {
 protected:
  fs::path db_path() const { return dir_.path() / "registry.db"; }

  TempDir dir_;
  FakeClock clock_{from_unix(1'750'000'000)};
};

TEST_F(SqliteRegistryTest, SetsDurabilityPragmas) {
  ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
  // journal_mode=WAL is a property of the file: another connection sees it.
  RawDb raw(db_path());
  EXPECT_EQ(raw.query("PRAGMA journal_mode"), "wal");
  // synchronous, foreign_keys and busy_timeout belong to the connection: ask the registry's own.
  ASSERT_OK_AND_ASSIGN(SqliteSettings settings, registry->effective_settings());
  EXPECT_EQ(settings.journal_mode, "wal");
  EXPECT_EQ(settings.synchronous, 2);  // FULL
  EXPECT_TRUE(settings.foreign_keys);
  EXPECT_EQ(settings.busy_timeout_ms, 5000);
}

TEST_F(SqliteRegistryTest, SynchronousNormalWhenAskedFor) {
  ASSERT_OK_AND_ASSIGN(auto registry,
                       SqliteRegistry::open(db_path().string(), clock_,
                                            {.synchronous_full = false, .busy_timeout_ms = 250}));
  ASSERT_OK_AND_ASSIGN(SqliteSettings settings, registry->effective_settings());
  EXPECT_EQ(settings.synchronous, 1);  // NORMAL
  EXPECT_EQ(settings.busy_timeout_ms, 250);
}

TEST_F(SqliteRegistryTest, RecordsTheSchemaVersionOnce) {
  {
    ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
    ASSERT_OK_AND_ASSIGN(int version, registry->schema_version());
    EXPECT_EQ(version, latest_schema_version());
  }
  ASSERT_OK_AND_ASSIGN(auto reopened, SqliteRegistry::open(db_path().string(), clock_));
  RawDb raw(db_path());
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM schema_version"), std::to_string(migrations().size()));
  EXPECT_EQ(raw.query("SELECT applied_at FROM schema_version WHERE version = 1"), "1750000000");
}

// A registry written by an opencapf that knew only schema version 1 (its migration SQL and
// bookkeeping, run by hand) gains the request queue when a newer opencapf opens it, and keeps its
// data.
TEST_F(SqliteRegistryTest, AVersion1FileUpgradesInPlace) {
  ASSERT_GE(migrations().size(), 2u);
  ASSERT_EQ(migrations()[0].version, 1);
  {
    RawDb raw(db_path());
    raw.exec(std::string(kSchemaVersionTable));
    raw.exec("BEGIN");
    raw.exec(render_sql(migrations()[0].sql, SqlDialect::kSqlite));
    raw.exec(
        "INSERT INTO schema_version (version, description, applied_at) "
        "VALUES (1, 'devices, certificates, device events, trust stores', 1700000000)");
    raw.exec(
        "INSERT INTO certificates (serial_hex, device_name, issuer, subject, key_spec, "
        "not_before, not_after, pem, state, issued_at, state_time, session_id, "
        "revocation_reason) VALUES ('0a0b', 'SEP001122334455', 'CN=CAPF', 'CN=SEP001122334455', "
        "'rsa:2048', 1700000000, 1800000000, 'pem', 'installed', 1700000000, 1700000000, 'ab', "
        "'')");
    raw.exec("COMMIT");
    EXPECT_EQ(raw.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'certificate_requests'"),
              "0");
  }

  ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
  ASSERT_OK_AND_ASSIGN(int version, registry->schema_version());
  EXPECT_EQ(version, latest_schema_version());
  {
    RawDb raw(db_path());
    EXPECT_EQ(raw.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'certificate_requests'"),
              "1");
    EXPECT_EQ(
        raw.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                  "tbl_name = 'certificate_requests' AND name LIKE 'certificate_requests_by_%'"),
        "4");
    // Version 1's record is kept; version 2's is new.
    EXPECT_EQ(raw.query("SELECT applied_at FROM schema_version WHERE version = 1"), "1700000000");
    EXPECT_EQ(raw.query("SELECT applied_at FROM schema_version WHERE version = 2"), "1750000000");
  }
  ASSERT_OK_AND_ASSIGN(auto old_cert, registry->find_certificate("0a0b"));
  ASSERT_TRUE(old_cert.has_value());
  EXPECT_EQ(old_cert->state, CertificateState::kInstalled);

  CertificateRequestRecord request;
  request.id = "5eed";
  request.device_name = "SEP001122334455";
  request.mode = "offline";
  ASSERT_TRUE(is_ok(registry->insert_request(request)));
  ASSERT_OK_AND_ASSIGN(auto open, registry->open_request("SEP001122334455"));
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->id, "5eed");

  // Opening it again applies nothing twice.
  registry.reset();
  ASSERT_OK_AND_ASSIGN(auto again, SqliteRegistry::open(db_path().string(), clock_));
  RawDb raw(db_path());
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM schema_version"), std::to_string(migrations().size()));
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM certificate_requests"), "1");
}

// A registry written before tokens could expire (schema version 5) gains admin_tokens.expires when
// a newer opencapf opens it; its tokens keep every field and never expire, and new ones can.
TEST_F(SqliteRegistryTest, AVersion5FileKeepsItsTokensWithoutAnExpiry) {
  constexpr int kBefore = 5;
  ASSERT_GT(latest_schema_version(), kBefore);
  const std::string hash(64, 'a');
  {
    RawDb raw(db_path());
    raw.exec(std::string(kSchemaVersionTable));
    raw.exec("BEGIN");
    for (const Migration& m : migrations()) {
      if (m.version > kBefore) {
        break;
      }
      raw.exec(render_sql(m.sql, SqlDialect::kSqlite));
      raw.exec("INSERT INTO schema_version (version, description, applied_at) VALUES (" +
               std::to_string(m.version) + ", 'old', 1700000000)");
    }
    raw.exec(
        "INSERT INTO admin_tokens (name, role, token_hash, created, last_used, revoked) VALUES "
        "('ops', 'operator', '" +
        hash + "', 1700000000, 1700000100, NULL)");
    raw.exec("COMMIT");
    EXPECT_NE(raw.query("SELECT expires FROM admin_tokens").rfind("error:", 0), std::string::npos);
  }

  ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
  ASSERT_OK_AND_ASSIGN(int version, registry->schema_version());
  EXPECT_EQ(version, latest_schema_version());
  ASSERT_OK_AND_ASSIGN(auto tokens, registry->list_tokens());
  ASSERT_EQ(tokens.size(), 1u);
  const AdminToken& old = tokens[0];
  EXPECT_EQ(old.name, "ops");
  EXPECT_EQ(old.role, AdminRole::kOperator);
  EXPECT_EQ(old.hash_hex, hash);
  EXPECT_EQ(to_unix(old.created), 1'700'000'000);
  ASSERT_TRUE(old.last_used.has_value());
  EXPECT_EQ(to_unix(*old.last_used), 1'700'000'100);
  EXPECT_FALSE(old.revoked.has_value());
  EXPECT_FALSE(old.expires.has_value());

  AdminToken fresh;
  fresh.name = "dashboard";
  fresh.hash_hex = std::string(64, 'b');
  fresh.expires = from_unix(1'760'000'000);
  ASSERT_OK_AND_ASSIGN(AdminToken inserted, registry->insert_token(fresh));
  RawDb raw(db_path());
  EXPECT_EQ(raw.query("SELECT expires FROM admin_tokens WHERE id = " + std::to_string(inserted.id)),
            "1760000000");
  EXPECT_EQ(raw.query("SELECT expires FROM admin_tokens WHERE id = " + std::to_string(old.id)),
            "NULL");
  EXPECT_EQ(raw.query("SELECT applied_at FROM schema_version WHERE version = 6"), "1750000000");
}

TEST_F(SqliteRegistryTest, AFileThatIsNotADatabaseGivesAClearError) {
  {
    std::ofstream out(db_path());
    for (int i = 0; i < 100; ++i) {
      out << "this is a configuration file, not a registry\n";
    }
  }
  auto registry = SqliteRegistry::open(db_path().string(), clock_);
  ASSERT_TRUE(is_error(registry, ErrorCode::kDatabase));
  const std::string& message = registry.error().message;
  EXPECT_NE(message.find(db_path().string()), std::string::npos) << message;
  EXPECT_NE(message.find("not a database"), std::string::npos) << message;
}

TEST_F(SqliteRegistryTest, AnotherProgramsDatabaseIsRefused) {
  {
    RawDb raw(db_path());
    raw.exec("CREATE TABLE contacts (name TEXT)");
  }
  auto registry = SqliteRegistry::open(db_path().string(), clock_);
  ASSERT_TRUE(is_error(registry, ErrorCode::kDatabase));
  EXPECT_NE(registry.error().message.find("not an opencapf registry"), std::string::npos)
      << registry.error().message;
}

TEST_F(SqliteRegistryTest, ANewerSchemaIsRefused) {
  { ASSERT_TRUE(is_ok(SqliteRegistry::open(db_path().string(), clock_))); }
  {
    RawDb raw(db_path());
    raw.exec(
        "INSERT INTO schema_version (version, description, applied_at) "
        "VALUES (999, 'from the future', 0)");
  }
  auto registry = SqliteRegistry::open(db_path().string(), clock_);
  ASSERT_TRUE(is_error(registry, ErrorCode::kDatabase));
  EXPECT_NE(registry.error().message.find("upgrade opencapf"), std::string::npos)
      << registry.error().message;
}

TEST_F(SqliteRegistryTest, AMissingDirectoryGivesAClearError) {
  auto registry = SqliteRegistry::open((dir_.path() / "no" / "such" / "r.db").string(), clock_);
  ASSERT_TRUE(is_error(registry, ErrorCode::kDatabase));
  EXPECT_NE(registry.error().message.find("cannot open registry"), std::string::npos)
      << registry.error().message;
}

TEST_F(SqliteRegistryTest, AWriteLockHeldByAnotherProcessIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(auto registry,
                       SqliteRegistry::open(db_path().string(), clock_,
                                            {.synchronous_full = true, .busy_timeout_ms = 100}));
  RawDb other(db_path());
  other.exec("BEGIN IMMEDIATE");
  auto name = DeviceName::parse("SEP001122334455");
  ASSERT_TRUE(name);
  auto blocked = registry->insert_device(blank_device(*name));
  ASSERT_TRUE(is_error(blocked, ErrorCode::kUnavailable));
  EXPECT_NE(blocked.error().message.find("registry is locked by another process"),
            std::string::npos)
      << blocked.error().message;
  EXPECT_NE(blocked.error().message.find(": starting a transaction: gave up after waiting 100 ms"),
            std::string::npos)
      << blocked.error().message;
  // Reads still work while another process writes (WAL).
  EXPECT_TRUE(is_ok(registry->find_device(*name)));

  other.exec("COMMIT");
  EXPECT_TRUE(is_ok(registry->insert_device(blank_device(*name))));
}

TEST_F(SqliteRegistryTest, TheSchemaIsPortableSql) {
  // Only types PostgreSQL shares; no SQLite-only clauses.
  for (const Migration& m : migrations()) {
    std::string sql = render_sql(m.sql, SqlDialect::kSqlite);
    for (std::string_view word :
         {"AUTOINCREMENT", "WITHOUT ROWID", "STRICT", "BLOB", "DATETIME", "REAL", "{{", "}}"}) {
      EXPECT_EQ(sql.find(word), std::string::npos) << "migration " << m.version << ": " << word;
    }
    std::string pg = render_sql(m.sql, SqlDialect::kPostgres);
    EXPECT_EQ(pg.find("{{"), std::string::npos);
    if (std::string_view(m.sql).find("{{key}}") != std::string_view::npos) {
      EXPECT_NE(pg.find("COLLATE \"C\""), std::string::npos);  // keys compare byte by byte
    }
  }
  for (std::size_t i = 0; i < migrations().size(); ++i) {
    EXPECT_EQ(migrations()[i].version, static_cast<int>(i) + 1);
  }
}

// A query and the index its plan must name.
struct IndexCase {
  std::string query;
  std::string index;
};

// Each query's plan names its index and scans no table row by row.
void expect_indexed(RawDb& raw, std::span<const IndexCase> cases) {
  for (const IndexCase& c : cases) {
    std::string plan = raw.plan(c.query);
    EXPECT_NE(plan.find(c.index), std::string::npos) << c.query << "\n" << plan;
    std::istringstream lines(plan);
    for (std::string line; std::getline(lines, line);) {
      bool full_scan = line.rfind("SCAN ", 0) == 0 && line.find(" USING ") == std::string::npos;
      EXPECT_FALSE(full_scan) << c.query << "\n" << plan;
    }
  }
}

// The admin console pages through 100,000 devices: no query it makes may read the whole table
// row by row. (Walking the name index in order and stopping at the limit is allowed: for the LSC
// expiry filter, that is what SQLite picks, and it beats sorting every expiring device.)
TEST_F(SqliteRegistryTest, TheConsoleQueriesUseIndexes) {
  ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
  RawDb raw(db_path());
  const std::string devices = "SELECT name FROM devices WHERE ";
  const IndexCase cases[] = {
      {devices + "status_kind = 'pending' AND name > 'SEP1' ORDER BY name LIMIT 100",
       "devices_by_status"},
      {devices + "name >= 'SEP00' AND name < 'SEP01' ORDER BY name LIMIT 100",
       "sqlite_autoindex_devices_1"},
      {devices + "operation = 'install' ORDER BY name LIMIT 100", "devices_by_operation"},
      {devices + "auth_mode = 'null' ORDER BY name LIMIT 100", "devices_by_auth_mode"},
      {devices + "lsc_not_after < 1750000000 ORDER BY name LIMIT 100", "INDEX"},
      {"SELECT COUNT(*) FROM devices WHERE lsc_not_after < 1750000000", "devices_by_lsc_expiry"},
      // The expiring-LSC count reads the index alone (migration 5).
      {"SELECT COUNT(*) FROM devices WHERE lsc_not_after < 1750000000 AND lsc_serial IS NOT NULL",
       "COVERING INDEX devices_by_lsc_expiry_serial"},
      {"SELECT COUNT(*) FROM devices WHERE status_kind = 'failed'", "devices_by_status"},
      {"SELECT detail FROM device_events WHERE device_name = 'SEP1' "
       "ORDER BY event_time DESC, id DESC LIMIT 10",
       "device_events_by_device_time"},
      {"SELECT pem FROM certificates WHERE device_name = 'SEP1' "
       "ORDER BY issued_at DESC, serial_hex DESC LIMIT 10",
       "certificates_by_device_state"},
  };
  expect_indexed(raw, cases);
}

// The request queue is read by device (every phone contact), by state and mode (the CA poller),
// by key (offline import) and oldest first (the console): none of these reads the whole table.
TEST_F(SqliteRegistryTest, TheRequestQueriesUseIndexes) {
  ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
  RawDb raw(db_path());
  const std::string requests = "SELECT id FROM certificate_requests ";
  const IndexCase cases[] = {
      {requests + "WHERE id = '0a'", "sqlite_autoindex_certificate_requests_1"},
      {requests + "WHERE device_name = 'SEP1' ORDER BY created, seq LIMIT 100",
       "certificate_requests_by_device_created"},
      {requests + "WHERE state = 'waiting' AND mode = 'online' ORDER BY created, seq LIMIT 100",
       "certificate_requests_by_state"},
      {requests + "WHERE spki_fingerprint = 'ab' ORDER BY created, seq LIMIT 100",
       "certificate_requests_by_spki"},
      {requests + "ORDER BY created, seq LIMIT 100", "certificate_requests_by_created"},
      {"SELECT COUNT(*) FROM certificate_requests WHERE state = 'ready'",
       "certificate_requests_by_state"},
  };
  expect_indexed(raw, cases);
}

// What every install reads (migration 8): the device's certificates still marked installed (the
// ones it supersedes) and its open request. Each is a lookup of the device's rows in the order
// asked: no scan of the fleet (through the state index, every installed certificate was read) and
// no temporary b-tree for the order (one per query, opened and freed).
TEST_F(SqliteRegistryTest, TheInstallPathNeitherScansNorSorts) {
  ASSERT_OK_AND_ASSIGN(auto registry, SqliteRegistry::open(db_path().string(), clock_));
  RawDb raw(db_path());
  const IndexCase cases[] = {
      {"SELECT pem FROM certificates WHERE device_name = 'SEP1' AND state = 'installed' "
       "ORDER BY issued_at DESC, serial_hex DESC LIMIT 100",
       "certificates_by_device_state (device_name=? AND state=?)"},
      {"SELECT id FROM certificate_requests WHERE device_name = 'SEP1' AND "
       "state IN ('waiting', 'ready') ORDER BY created DESC, seq DESC LIMIT 1",
       "certificate_requests_by_device_created (device_name=?)"},
  };
  expect_indexed(raw, cases);
  for (const IndexCase& c : cases)
    EXPECT_EQ(raw.plan(c.query).find("TEMP B-TREE"), std::string::npos) << raw.plan(c.query);
}

}  // namespace
}  // namespace capf::testing
