// migrate_registry(): a SQLite registry holding every kind of row is copied into a throwaway
// PostgreSQL (postgres_server.h) and read back through the Registry interfaces, row by row; ids
// go on past the copied ones; a target that holds anything is refused and left as it was; a row
// the target cannot take rolls every table back; a missing source and an unreachable server each
// give one line.
#include "capf/daemon/registry_copy.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "capf/store/migrations.h"
#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/store/postgres_server.h"
#include "tests/store/registry_conformance.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

constexpr std::int64_t kT0 = 1'750'000'000;

std::string opt_time(const std::optional<TimePoint>& t) {
  return t ? std::to_string(to_unix(*t)) : "-";
}

// Every row the Registry interfaces show, one line each, in a fixed order.
std::vector<std::string> dump(Registry& r) {
  std::vector<std::string> out;
  auto devices = r.list_devices({});
  EXPECT_TRUE(is_ok(devices));
  for (const Device& d : devices.value_or(std::vector<Device>{})) {
    out.push_back(fmt::format("device {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
                              d.name.str(), static_cast<int>(d.operation),
                              static_cast<int>(d.auth_mode), d.auth_string.value_or("-"),
                              static_cast<int>(d.key_order), d.rsa_bits, d.ec_bits,
                              opt_time(d.deadline), to_string(d.status), to_unix(d.status_time),
                              d.status_detail, d.auth_failures, d.lsc ? d.lsc->serial_hex : "-",
                              d.lsc ? d.lsc->issuer : "-", d.lsc ? to_unix(d.lsc->not_after) : 0,
                              d.description, to_unix(d.created), to_unix(d.updated), d.version));
    auto events = r.device_events(d.name.str(), 100);
    EXPECT_TRUE(is_ok(events));
    for (const DeviceEvent& e : events.value_or(std::vector<DeviceEvent>{})) {
      out.push_back(fmt::format("event {} {} {} {} {}", e.device_name, to_unix(e.time), e.session,
                                e.kind, e.detail));
    }
  }
  auto certs = r.list_certificates({});
  EXPECT_TRUE(is_ok(certs));
  for (const IssuedCertificate& c : certs.value_or(std::vector<IssuedCertificate>{})) {
    out.push_back(fmt::format("cert {} {} {} {} {} {} {} {} {} {} {} {} {}", c.serial_hex,
                              c.device_name, c.issuer, c.subject, c.key_spec, to_unix(c.not_before),
                              to_unix(c.not_after), c.pem, static_cast<int>(c.state),
                              to_unix(c.issued_at), to_unix(c.state_time), c.session,
                              c.revocation_reason));
  }
  for (const char* store : {"capf-trust", "callmanager-trust"}) {
    auto trust = r.list_trust(store);
    EXPECT_TRUE(is_ok(trust));
    for (const TrustEntry& t : trust.value_or(std::vector<TrustEntry>{})) {
      out.push_back(fmt::format("trust {} {} {} {} {} {} {} {}", t.store, t.fingerprint, t.subject,
                                t.issuer, to_unix(t.not_after), t.pem, t.label, to_unix(t.added)));
    }
  }
  auto requests = r.list_requests({});
  EXPECT_TRUE(is_ok(requests));
  for (const CertificateRequestRecord& q :
       requests.value_or(std::vector<CertificateRequestRecord>{})) {
    out.push_back(fmt::format("request {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}", q.id,
                              q.device_name, q.mode, q.ca, q.key_spec, q.csr_pem,
                              q.spki_fingerprint, q.ticket, to_string(q.state), q.certificate_pem,
                              q.certificate_serial, q.last_error, q.attempts, to_unix(q.created),
                              to_unix(q.updated), q.session));
  }
  auto tokens = r.list_tokens();
  EXPECT_TRUE(is_ok(tokens));
  for (const AdminToken& t : tokens.value_or(std::vector<AdminToken>{})) {
    out.push_back(fmt::format("token {} {} {} {} {} {} {} {}", t.id, t.name,
                              static_cast<int>(t.role), t.hash_hex, to_unix(t.created),
                              opt_time(t.last_used), opt_time(t.revoked), opt_time(t.expires)));
  }
  auto audit = r.list_audit({});
  EXPECT_TRUE(is_ok(audit));
  for (const AuditEntry& a : audit.value_or(std::vector<AuditEntry>{})) {
    out.push_back(fmt::format("audit {} {} {} {} {} {} {}", a.id, to_unix(a.time), a.actor,
                              a.action, a.target, a.before, a.after));
  }
  auto settings = r.list_settings();
  EXPECT_TRUE(is_ok(settings));
  for (const ClusterSetting& s : settings.value_or(std::vector<ClusterSetting>{})) {
    out.push_back(
        fmt::format("setting {} {} {} {}", s.name, s.value, s.version, to_unix(s.updated)));
  }
  auto generation = r.trust_generation();
  EXPECT_TRUE(is_ok(generation));
  out.push_back(fmt::format("trust_generation {}", generation.value_or(-1)));
  return out;
}

Device device(const std::string& name, int i) {
  auto parsed = DeviceName::parse(name);
  EXPECT_TRUE(is_ok(parsed));
  Device d = blank_device(parsed.value_or(DeviceName{}));
  d.operation = i % 2 ? Operation::kInstall : Operation::kNone;
  d.auth_mode = i % 2 ? AuthMode::kAuthString : AuthMode::kNullString;
  if (i % 2) {
    d.auth_string = "1234" + std::to_string(i);
    d.deadline = from_unix(kT0 + 86400 * i);
  }
  d.rsa_bits = 2048 + 1024 * i;
  d.status_detail = fmt::format("detail '{}' caf\xc3\xa9", i);
  if (i == 2) {
    d.lsc = LscInfo{"0a1b2c", "CN=CAPF-1,O=Example", from_unix(kT0 + 365 * 86400)};
  }
  d.description = fmt::format("room {}", i);
  return d;
}

// A SQLite registry with every kind of row, and the claims and heartbeats that are not copied.
void fill(Registry& r, FakeClock& clock) {
  const std::vector<std::string> names = {"SEP001122334455", "SEP00AABBCCDDEE", "SEPA1B2C3D4E5F6"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(is_ok(r.insert_device(device(names[i], i))));
    for (int e = 0; e < 2; ++e) {
      ASSERT_TRUE(is_ok(r.append_event({names[i], clock.now(), "00ab", "status", "ok"})));
      clock.advance(std::chrono::seconds(1));
    }
  }
  for (int c = 0; c < 2; ++c) {
    IssuedCertificate cert{.serial_hex = fmt::format("0{}ff", c),
                           .device_name = names[c],
                           .issuer = "CN=CAPF-1",
                           .subject = "CN=" + names[c],
                           .key_spec = "rsa:2048",
                           .not_before = from_unix(kT0),
                           .not_after = from_unix(kT0 + 86400),
                           .pem = "-----BEGIN CERTIFICATE-----\nAA==\n",
                           .issued_at = from_unix(kT0 + c),
                           .state_time = from_unix(kT0 + c),
                           .session = "00ab"};
    ASSERT_TRUE(is_ok(r.record_issued(cert)));
  }
  ASSERT_TRUE(is_ok(r.set_certificate_state("00ff", CertificateState::kRevoked, from_unix(kT0 + 5),
                                            "superseded")));
  struct Trust {
    const char* store;
    char digit;
    const char* subject;
    const char* label;
  };
  for (const Trust& t : {Trust{"capf-trust", 'a', "CN=CAPF-1", "capf (current)"},
                         Trust{"callmanager-trust", 'b', "CN=CUCM", "cucm.pem"}}) {
    ASSERT_TRUE(is_ok(r.add_trust({t.store,
                                   std::string(64, t.digit),
                                   t.subject,
                                   t.subject,
                                   from_unix(kT0 + 999),
                                   std::string("PEM-") + t.digit,
                                   t.label,
                                   {}})));
  }
  for (int q = 0; q < 2; ++q) {
    CertificateRequestRecord request{.id = fmt::format("req{}", q), .device_name = names[q]};
    request.mode = "offline";
    request.ca = "offline";
    request.key_spec = "ec:p256";
    request.csr_pem = "CSR";
    request.spki_fingerprint = std::string(64, 'c');
    ASSERT_TRUE(is_ok(r.insert_request(request)));
  }
  for (char h : {'1', '2'}) {
    AdminToken t{.name = std::string("token-") + h, .role = AdminRole::kOperator};
    t.hash_hex = std::string(64, h);
    ASSERT_TRUE(is_ok(r.insert_token(t)));
  }
  ASSERT_TRUE(is_ok(r.revoke_token(1)));
  ASSERT_TRUE(is_ok(r.touch_token(2, from_unix(kT0 + 50))));
  for (int a = 0; a < 3; ++a) {
    ASSERT_TRUE(is_ok(r.append_audit({.actor = "cli:root",
                                      .action = "device.set",
                                      .target = names[a],
                                      .before = "",
                                      .after = fmt::format("{{\"n\":{}}}", a)})));
  }
  for (int n = 0; n < 3; ++n) {
    ASSERT_TRUE(is_ok(r.next_crl_number()));
  }
  ASSERT_TRUE(is_ok(r.put_setting("capf.identity", "{\"certificate\":\"PEM\"}", 0)));
  ASSERT_TRUE(is_ok(r.claim_device(
      {names[0], "node-a", "00ab", clock.now(), clock.now() + std::chrono::seconds(60)})));
  ASSERT_TRUE(is_ok(r.heartbeat({"node-a", "1.0", "0.0.0.0:3804", 1, clock.now(), clock.now()})));
}

class RegistryCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresServer::shared();
    ASSERT_TRUE(is_ok(server));
    server_ = *server;
    source_ = (dir_ / "registry.db").string();
    auto registry = SqliteRegistry::open(source_, clock_);
    ASSERT_TRUE(is_ok(registry));
    fill(**registry, clock_);
  }

  std::string new_database() {
    auto url = server_->new_database();
    EXPECT_TRUE(is_ok(url));
    return url.value_or("");
  }
  std::unique_ptr<Registry> open_source() {
    auto registry = SqliteRegistry::open(source_, clock_);
    EXPECT_TRUE(is_ok(registry));
    return registry ? std::move(registry).value() : nullptr;
  }
  std::unique_ptr<Registry> open_target(const std::string& url) {
    auto registry = PgRegistry::open(url, clock_);
    EXPECT_TRUE(is_ok(registry));
    return registry ? std::move(registry).value() : nullptr;
  }
  Result<RegistryMigrationReport> migrate(const std::string& url) {
    return migrate_registry({source_, url, ""}, clock_);
  }

  FakeClock clock_{from_unix(kT0)};
  TempDir dir_;
  PostgresServer* server_ = nullptr;
  std::string source_;
};

TEST_F(RegistryCopy, EveryRowArrivesAndIdsGoOnAfterTheCopiedOnes) {
  const std::string url = new_database();
  ASSERT_OK_AND_ASSIGN(auto report, migrate(url));
  EXPECT_EQ(report.schema_version, report.source_version_before);
  std::vector<std::string> copied;
  for (const CopiedTable& t : report.tables) {
    EXPECT_EQ(t.source_rows, t.target_rows) << t.name;
    copied.push_back(fmt::format("{}={}", t.name, t.target_rows));
  }
  EXPECT_EQ(copied,
            (std::vector<std::string>{"admin_tokens=2", "audit_log=3", "certificate_requests=2",
                                      "certificates=2", "cluster_settings=1", "device_events=6",
                                      "devices=3", "registry_counters=2", "trust_entries=2"}));

  auto source = open_source();
  auto target = open_target(url);
  ASSERT_TRUE(source && target);
  const auto rows = dump(*source);
  EXPECT_EQ(rows.size(), 22u);
  EXPECT_EQ(dump(*target), rows);
  ASSERT_OK_AND_ASSIGN(auto claims, target->list_claims());
  EXPECT_TRUE(claims.empty());
  ASSERT_OK_AND_ASSIGN(auto nodes, target->list_nodes(from_unix(0)));
  EXPECT_TRUE(nodes.empty());

  // The counters and every identity sequence continue from the copied values.
  ASSERT_OK_AND_ASSIGN(std::int64_t crl, target->next_crl_number());
  EXPECT_EQ(crl, 4);
  AdminToken t{.name = "after", .role = AdminRole::kViewer};
  t.hash_hex = std::string(64, '9');
  ASSERT_OK_AND_ASSIGN(AdminToken token, target->insert_token(t));
  EXPECT_EQ(token.id, 3);
  ASSERT_OK_AND_ASSIGN(std::int64_t audit_id,
                       target->append_audit({.actor = "cli:root", .action = "x", .target = "y"}));
  EXPECT_EQ(audit_id, 4);
  EXPECT_TRUE(is_ok(target->append_event({"SEP001122334455", clock_.now(), "", "admin", "new"})));
  CertificateRequestRecord request{.id = "req-new", .device_name = "SEPA1B2C3D4E5F6"};
  request.spki_fingerprint = std::string(64, 'd');
  EXPECT_TRUE(is_ok(target->insert_request(request)));
  ASSERT_OK_AND_ASSIGN(auto all, target->list_requests({}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.back().id, "req-new");  // oldest first: after the copied ones
}

TEST_F(RegistryCopy, ATargetHoldingAnythingIsRefusedAndLeftAsItWas) {
  const std::string url = new_database();
  ASSERT_TRUE(is_ok(migrate(url)));
  auto target = open_target(url);
  ASSERT_TRUE(target);
  const auto before = dump(*target);
  auto again = migrate(url);
  ASSERT_TRUE(is_error(again, ErrorCode::kConflict));
  EXPECT_NE(again.error().message.find("3 row(s) in devices"), std::string::npos)
      << again.error().message;
  EXPECT_NE(again.error().message.find("give an empty database"), std::string::npos);
  EXPECT_EQ(dump(*target), before);

  // A used counter alone is enough: a CRL was issued from that database.
  const std::string used = new_database();
  auto other = open_target(used);
  ASSERT_TRUE(other && is_ok(other->next_crl_number()));
  auto refused = migrate(used);
  ASSERT_TRUE(is_error(refused, ErrorCode::kConflict));
  EXPECT_NE(refused.error().message.find("1 row(s) in registry_counters"), std::string::npos)
      << refused.error().message;
  ASSERT_OK_AND_ASSIGN(auto devices, other->list_devices({}));
  EXPECT_TRUE(devices.empty());
}

TEST_F(RegistryCopy, ARowTheTargetRefusesRollsEveryTableBackAndNamesItsTable) {
  {
    // SQLite keeps text in an INTEGER column; PostgreSQL's integer column refuses it.
    auto connection = SqliteConnection::open(source_, SqliteOptions{});
    ASSERT_TRUE(is_ok(connection));
    ASSERT_TRUE(is_ok((*connection)
                          ->exec("UPDATE devices SET rsa_bits = 'many' WHERE rsa_bits = "
                                 "3072",
                                 "spoiling a row")));
  }
  const std::string url = new_database();
  auto result = migrate(url);
  ASSERT_TRUE(is_error(result, ErrorCode::kDatabase));
  EXPECT_NE(result.error().message.find("copying table devices"), std::string::npos)
      << result.error().message;
  auto target = open_target(url);
  ASSERT_TRUE(target);
  // The tables copied before devices (by name) are empty again.
  ASSERT_OK_AND_ASSIGN(auto tokens, target->list_tokens());
  EXPECT_TRUE(tokens.empty());
  ASSERT_OK_AND_ASSIGN(auto audit, target->list_audit({}));
  EXPECT_TRUE(audit.empty());
  ASSERT_OK_AND_ASSIGN(auto certs, target->list_certificates({}));
  EXPECT_TRUE(certs.empty());
}

TEST_F(RegistryCopy, AnOlderSourceIsBroughtUpToTheSchemaFirst) {
  {
    // The source as schema version 6 left it: no cluster tables yet, the older certificate index.
    auto connection = SqliteConnection::open(source_, SqliteOptions{});
    ASSERT_TRUE(is_ok(connection));
    ASSERT_TRUE(is_ok(
        (*connection)
            ->exec(
                "DROP TABLE device_claims; DROP TABLE cluster_nodes; DROP TABLE cluster_settings; "
                "DROP INDEX certificates_by_device_state; CREATE INDEX certificates_by_device ON "
                "certificates (device_name, issued_at); "
                "DROP INDEX certificate_requests_by_device_created; CREATE INDEX "
                "certificate_requests_by_device ON certificate_requests (device_name, state); "
                "DELETE FROM schema_version WHERE version >= 7",
                "going back to version 6")));
  }
  ASSERT_EQ(latest_schema_version(), 9);
  ASSERT_OK_AND_ASSIGN(auto report, migrate(new_database()));
  EXPECT_EQ(report.source_version_before, 6);
  EXPECT_EQ(report.schema_version, 9);
  ASSERT_EQ(report.tables.size(), 9u);
  EXPECT_EQ(report.tables[4].name, "cluster_settings");
  EXPECT_EQ(report.tables[4].target_rows, 0);
  EXPECT_EQ(report.tables[6].name, "devices");
  EXPECT_EQ(report.tables[6].target_rows, 3);
}

TEST_F(RegistryCopy, AMissingSourceOrAnUnreachableServerIsOneLine) {
  auto missing =
      migrate_registry({(dir_ / "nothing" / "registry.db").string(), new_database(), ""}, clock_);
  ASSERT_TRUE(is_error(missing, ErrorCode::kNotFound));
  EXPECT_NE(missing.error().message.find("no registry at"), std::string::npos);
  EXPECT_EQ(missing.error().message.find('\n'), std::string::npos) << missing.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nothing"));

  // Port 1 on the loopback: nothing listens there.
  auto unreachable = migrate("postgresql://capf@127.0.0.1:1/capf");
  ASSERT_TRUE(is_error(unreachable, ErrorCode::kUnavailable));
  EXPECT_EQ(unreachable.error().message.find('\n'), std::string::npos)
      << unreachable.error().message;

  auto password = migrate("postgresql://capf:secret@127.0.0.1:5432/capf");
  ASSERT_TRUE(is_error(password, ErrorCode::kInvalidArgument));
  EXPECT_EQ(password.error().message.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace capf::testing
