// Bulk CSV import/export and the CAPF reports: the RFC 4180 reader and writer, every import error
// with its line number, all-or-nothing and valid-only imports, export/import round trips, and the
// report contents for devices that hold LSCs.
#include "capf/service/device_csv.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "capf/service/capf_reports.h"
#include "capf/service/csv.h"
#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

constexpr auto kDay = std::chrono::hours(24);

// ---- the CSV reader and writer ----

TEST(Csv, QuotedFieldsRoundTrip) {
  const std::vector<std::string> cells = {
      "plain",    "with, comma",   "say \"hi\"", "two\r\nlines", "",
      " padded ", "lone\nnewline", "\"",         "caf\xC3\xA9"};
  const std::string text = csv_line(cells) + csv_line({"a", "b"});
  auto records = parse_csv(text);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].fields, cells);
  EXPECT_EQ((*records)[0].line, 1u);
  // The first record spans three lines (two line breaks inside quotes).
  EXPECT_EQ((*records)[1].line, 4u);
  EXPECT_EQ((*records)[1].fields, (std::vector<std::string>{"a", "b"}));
}

TEST(Csv, AcceptsLfCrlfBomAndSkipsEmptyLines) {
  auto records = parse_csv("\xEF\xBB\xBFh1,h2\n\r\nx,\"y\"\r\n\n,\n");
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].fields, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ((*records)[1].line, 3u);
  EXPECT_EQ((*records)[1].fields, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ((*records)[2].line, 5u);
  EXPECT_EQ((*records)[2].fields, (std::vector<std::string>{"", ""}));
  auto no_final_newline = parse_csv("a,b");
  ASSERT_TRUE(no_final_newline);
  EXPECT_EQ((*no_final_newline)[0].fields, (std::vector<std::string>{"a", "b"}));
}

TEST(Csv, UnterminatedQuoteNamesTheLineItStarts) {
  auto r = parse_csv("h1,h2\nok,fine\nx,\"never closed\ny,z\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("line 3:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("never closed"), std::string::npos);
}

TEST(Csv, RefusesStrayQuotesAndOversizedFields) {
  auto after = parse_csv("h\n\"a\"b\n");
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().message.find("line 2: text after a closing quote"), std::string::npos)
      << after.error().message;
  auto bare = parse_csv("h\nab\"c\n");
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().message.find("line 2: a quote inside an unquoted field"),
            std::string::npos);
  CsvLimits limits;
  limits.max_field_bytes = 8;
  auto longer = parse_csv("h\n123456789\n", limits);
  ASSERT_FALSE(longer);
  EXPECT_NE(longer.error().message.find("line 2: a field is longer than 8 bytes"),
            std::string::npos);
  auto quoted_longer = parse_csv("h\n\"123456789\"\n", limits);
  ASSERT_FALSE(quoted_longer);
  limits = {};
  limits.max_record_bytes = 10;
  auto record = parse_csv("a,b\n1234,5678,90\n", limits);
  ASSERT_FALSE(record);
  EXPECT_NE(record.error().message.find("line 2: a record is longer"), std::string::npos);
  limits = {};
  limits.max_bytes = 5;
  auto big = parse_csv("a,b,c\n", limits);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("the file is 6 bytes, more than 5"), std::string::npos);
  limits = {};
  limits.max_records = 2;
  EXPECT_FALSE(parse_csv("a\nb\nc\n", limits));
  EXPECT_TRUE(parse_csv("a\nb\n", limits));
}

// ---- import and export ----

class DeviceCsvTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    csv_ = std::make_unique<DeviceCsv>(*registry_, *admin_);
  }

  DeviceImportReport import(const std::string& text, bool valid_only = false) {
    DeviceImportOptions options;
    options.valid_only = valid_only;
    options.actor = "test:import";
    auto r = csv_->import_csv(text, options);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : DeviceImportReport{};
  }

  std::int64_t device_count() {
    auto n = registry_->count_devices(DeviceFilter{});
    EXPECT_TRUE(n);
    return n ? *n : -1;
  }

  // All the error lines of a report, joined, for matching.
  static std::string errors_of(const DeviceImportReport& r) {
    std::string out;
    for (const auto& l : r.lines)
      for (const auto& e : l.errors)
        out += e + "\n";
    return out;
  }

  std::unique_ptr<DeviceCsv> csv_;
};

TEST_F(DeviceCsvTest, ImportsEveryColumnInAnyOrderAndCase) {
  auto r = import(
      "Description,DEVICE_NAME,operation,auth_mode,auth_string,key_order,rsa_bits,ec_bits,"
      "deadline,generate_auth_string\r\n"
      "\"Lobby, ground floor\",sep001122334455,install,string,482915,ec-rsa,3072,384,"
      "2026-12-31T18:00:00Z,\r\n"
      "Jabber,CSFJSMITH,Install/Upgrade,By Null String,,rsa,,,,false\r\n"
      ",SEP0011223344AA,troubleshoot,string,,,,,none,true\r\n");
  ASSERT_TRUE(r.applied) << errors_of(r);
  EXPECT_EQ(r.created, 3u);
  EXPECT_EQ(r.errors, 0u);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[0].line, 2u);
  EXPECT_EQ(r.lines[0].outcome, ImportOutcome::kCreated);
  EXPECT_FALSE(r.lines[0].generated_auth_string);
  ASSERT_TRUE(r.lines[2].generated_auth_string);
  EXPECT_EQ(r.lines[2].generated_auth_string->size(), 8u);

  Device phone = get("SEP001122334455");
  EXPECT_EQ(phone.operation, Operation::kInstall);
  EXPECT_EQ(phone.auth_mode, AuthMode::kAuthString);
  EXPECT_EQ(phone.auth_string, "482915");
  EXPECT_EQ(phone.key_order, KeyOrder::kEcPreferredRsaBackup);
  EXPECT_EQ(phone.rsa_bits, 3072);
  EXPECT_EQ(phone.ec_bits, 384);
  EXPECT_EQ(phone.deadline, parse_utc("2026-12-31T18:00:00Z"));
  EXPECT_EQ(phone.description, "Lobby, ground floor");
  EXPECT_EQ(phone.status, OperationStatus::pending());
  Device jabber = get("CSFJSMITH");
  EXPECT_EQ(jabber.auth_mode, AuthMode::kNullString);
  EXPECT_EQ(jabber.deadline, clock_.now() + 10 * kDay);  // the default deadline
  Device fetch = get("SEP0011223344AA");
  EXPECT_EQ(fetch.operation, Operation::kTroubleshoot);
  EXPECT_FALSE(fetch.deadline);
  EXPECT_EQ(fetch.auth_string, r.lines[2].generated_auth_string);
  auto history = admin_->device_history("SEP001122334455", 5);
  ASSERT_TRUE(history);
  ASSERT_FALSE(history->empty());
  EXPECT_NE(history->front().detail.find("test:import"), std::string::npos);
}

TEST_F(DeviceCsvTest, ReportsEveryKindOfErrorByLineAndColumnAndChangesNothing) {
  set({.name = "SEP00000000000F", .description = "before"});
  auto r = import(
      "device_name,operation,auth_mode,auth_string,generate_auth_string,key_order,rsa_bits,"
      "ec_bits,deadline,description\n"
      "SEP000000000001,install,null,,,,,,,ok line\n"
      "SEP000000000002,upgrade-now,,,,,,,,\n"
      "SEP000000000003,,pin,,,,,,,\n"
      "SEP000000000004,,,12ab,,,,,,\n"
      "SEP000000000005,,,,maybe,,,,,\n"
      "SEP000000000006,,,,,rsa-only,,,,\n"
      "SEP000000000007,,,,,,1000,,,\n"
      "SEP000000000008,,,,,,big,,,\n"
      "SEP000000000009,,,,,,,224,,\n"
      "SEP00000000000A,,,,,,,,31/12/2026,\n"
      "SEP12,,,,,,,,,\n"
      "SEP00000000000B,install,string,,,,,,,\n"
      "SEP00000000000C,,,1234,true,,,,,\n"
      "SEP000000000001,none,,,,,,,,\n"
      "SEP00000000000D,only,three\n"
      ",install,,,,,,,,\n"
      "SEP00000000000F,,,,,,,,,after\n");
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.errors, 15u);
  const std::string errors = errors_of(r);
  for (const char* expected : {
           "line 3: operation: unknown operation 'upgrade-now': use install",
           "line 4: auth_mode: unknown authentication mode 'pin': use string, null, lsc or mic",
           // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one message on two lines
           "line 5: auth_string: authentication string must be 4 to 10 digits (got 4 characters, "
           "not all digits): use e.g. auth_string 482915 or generate_auth_string true",
           "line 6: generate_auth_string: 'maybe' is not true or false",
           "line 7: key_order: unknown key order 'rsa-only': use rsa, ec or ec-rsa",
           "line 8: rsa_bits: RSA key size 1000 is not supported: use 1024, 2048, 3072 or 4096",
           "line 9: rsa_bits: 'big' is not a key size",
           "line 10: ec_bits: EC key size 224 is not supported: use 256, 384 or 521",
           "line 11: deadline: '31/12/2026' is not a UTC time: use e.g. 2026-12-31T18:00:00Z",
           "line 12: device_name: ",
           "line 13: auth_string: SEP00000000000B authenticates by authentication string but has "
           "none: add auth_string (4 to 10 digits) or generate_auth_string true",
           "line 14: generate_auth_string: give either auth_string or generate_auth_string true, "
           "not both",
           "line 15: device_name: SEP000000000001 is already on line 2",
           "line 16: 3 cell(s) but the header has 10 column(s)",
           "line 17: device_name: is empty",
       }) {
    EXPECT_NE(errors.find(expected), std::string::npos) << "missing: " << expected << "\n"
                                                        << errors;
  }
  EXPECT_NE(errors.find("line 12: device_name: "), std::string::npos);
  EXPECT_EQ(errors.find("--"), std::string::npos) << "CLI flags in CSV errors:\n" << errors;
  EXPECT_EQ(r.lines[0].outcome, ImportOutcome::kCreated);  // would be created
  EXPECT_EQ(r.lines[15].outcome, ImportOutcome::kError);
  EXPECT_EQ(r.lines[16].outcome, ImportOutcome::kUpdated);
  // Nothing was written: the valid lines wait for the file to be fixed.
  EXPECT_EQ(device_count(), 1);
  EXPECT_EQ(get("SEP00000000000F").description, "before");
}

TEST_F(DeviceCsvTest, FileLevelErrorsNameTheColumn) {
  auto unknown = csv_->import_csv("device_name,colour\nSEP001122334455,red\n", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("line 1: unknown column 'colour': use device_name"),
            std::string::npos)
      << unknown.error().message;
  auto no_name = csv_->import_csv("operation\ninstall\n", {});
  ASSERT_FALSE(no_name);
  EXPECT_NE(no_name.error().message.find("no device_name column"), std::string::npos);
  auto twice = csv_->import_csv("device_name,Operation,operation\n", {});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("column 'operation' appears twice"), std::string::npos);
  auto empty = csv_->import_csv("", {});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("the file is empty"), std::string::npos);
  auto unterminated = csv_->import_csv("device_name,description\nSEP001122334455,\"oops\n", {});
  ASSERT_FALSE(unterminated);
  EXPECT_NE(unterminated.error().message.find("line 2: a quoted field is never closed"),
            std::string::npos);
  EXPECT_EQ(device_count(), 0);
}

TEST_F(DeviceCsvTest, ValidOnlyImportsTheGoodLinesAndReportsTheRest) {
  auto r = import(
      "device_name,operation,rsa_bits\n"
      "SEP000000000001,install,2048\n"
      "SEP000000000002,install,999\n"
      "SEP000000000003,delete,\n",
      /*valid_only=*/true);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.created, 2u);
  EXPECT_EQ(r.errors, 1u);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[1].outcome, ImportOutcome::kError);
  ASSERT_EQ(r.lines[1].errors.size(), 1u);
  EXPECT_EQ(r.lines[1].errors[0].rfind("line 3: rsa_bits: RSA key size 999", 0), 0u);
  EXPECT_EQ(device_count(), 2);
  EXPECT_EQ(get("SEP000000000003").operation, Operation::kDelete);
}

TEST_F(DeviceCsvTest, DuplicateNamesAreCaughtWhateverTheirCase) {
  auto r = import("device_name\nSEP0011223344AA\nsep0011223344aa\n");
  EXPECT_FALSE(r.applied);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0].outcome, ImportOutcome::kCreated);
  EXPECT_EQ(r.lines[1].outcome, ImportOutcome::kError);
  EXPECT_NE(errors_of(r).find("line 3: device_name: SEP0011223344AA is already on line 2"),
            std::string::npos);
  EXPECT_EQ(device_count(), 0);
}

TEST_F(DeviceCsvTest, ImportsAThousandLinesInOneGo) {
  std::string text = "device_name,operation,auth_mode,generate_auth_string\n";
  for (int i = 0; i < 1000; ++i)
    text += fmt::format("SEP{:012X},install,string,true\n", i);
  auto r = import(text);
  ASSERT_TRUE(r.applied) << errors_of(r);
  EXPECT_EQ(r.created, 1000u);
  EXPECT_EQ(device_count(), 1000);
  std::set<std::string> generated;
  for (const auto& l : r.lines) {
    ASSERT_TRUE(l.generated_auth_string);
    generated.insert(*l.generated_auth_string);
  }
  EXPECT_GT(generated.size(), 990u);  // 8 random digits: collisions are rare

  // The same file with one bad line at the very end changes none of the thousand.
  text += "SEPBAD\n";
  auto again = import(text);
  EXPECT_FALSE(again.applied);
  EXPECT_EQ(again.errors, 1u);
  for (int i = 0; i < 1000; i += 111) {
    Device d = get(fmt::format("SEP{:012X}", i));
    EXPECT_EQ(d.auth_string, r.lines[static_cast<std::size_t>(i)].generated_auth_string);
  }
}

// A registry that refuses to record one device's history, as a full disk or a lost database
// connection would in the middle of an import. Everything else goes to the real registry.
class RegistryFailingOn final : public Registry {
 public:
  RegistryFailingOn(Registry& real, std::string device) : real_(real), device_(std::move(device)) {}

  Status append_event(const DeviceEvent& event) override {
    if (event.device_name == device_)
      return make_error(ErrorCode::kDatabase, "disk I/O error");
    return real_.append_event(event);
  }

  Result<std::optional<Device>> find_device(const DeviceName& name) override {
    return real_.find_device(name);
  }
  Result<Device> insert_device(const Device& d) override { return real_.insert_device(d); }
  Result<Device> update_device(const Device& d) override { return real_.update_device(d); }
  Status remove_device(const DeviceName& name) override { return real_.remove_device(name); }
  Result<std::vector<Device>> list_devices(const DeviceFilter& f) override {
    return real_.list_devices(f);
  }
  Result<std::int64_t> count_devices(const DeviceFilter& f) override {
    return real_.count_devices(f);
  }
  Status record_issued(const IssuedCertificate& c) override { return real_.record_issued(c); }
  Status set_certificate_state(const std::string& serial, CertificateState state, TimePoint when,
                               const std::string& reason) override {
    return real_.set_certificate_state(serial, state, when, reason);
  }
  Result<std::optional<IssuedCertificate>> find_certificate(const std::string& serial) override {
    return real_.find_certificate(serial);
  }
  Result<std::vector<IssuedCertificate>> list_certificates(const CertificateFilter& f) override {
    return real_.list_certificates(f);
  }
  Result<std::vector<DeviceEvent>> device_events(const std::string& name,
                                                 std::size_t limit) override {
    return real_.device_events(name, limit);
  }
  Result<std::vector<DeviceEvent>> recent_session_events(std::size_t limit) override {
    return real_.recent_session_events(limit);
  }
  Status add_trust(const TrustEntry& e) override { return real_.add_trust(e); }
  Status remove_trust(const std::string& store, const std::string& fp) override {
    return real_.remove_trust(store, fp);
  }
  Result<std::vector<TrustEntry>> list_trust(const std::string& store) override {
    return real_.list_trust(store);
  }
  Result<std::int64_t> trust_generation() override { return real_.trust_generation(); }
  Result<std::int64_t> next_crl_number() override { return real_.next_crl_number(); }
  Status insert_request(const CertificateRequestRecord& r) override {
    return real_.insert_request(r);
  }
  Status update_request(const CertificateRequestRecord& r) override {
    return real_.update_request(r);
  }
  Result<std::optional<CertificateRequestRecord>> find_request(const std::string& id) override {
    return real_.find_request(id);
  }
  Result<std::optional<CertificateRequestRecord>> open_request(const std::string& name) override {
    return real_.open_request(name);
  }
  Result<std::vector<CertificateRequestRecord>> list_requests(const RequestFilter& f) override {
    return real_.list_requests(f);
  }
  Result<std::int64_t> count_requests(const RequestFilter& f) override {
    return real_.count_requests(f);
  }
  Result<AdminToken> insert_token(const AdminToken& t) override { return real_.insert_token(t); }
  Result<std::optional<AdminToken>> find_token(std::int64_t id) override {
    return real_.find_token(id);
  }
  Result<std::vector<AdminToken>> list_tokens() override { return real_.list_tokens(); }
  Status revoke_token(std::int64_t id) override { return real_.revoke_token(id); }
  Status touch_token(std::int64_t id, TimePoint when) override {
    return real_.touch_token(id, when);
  }
  Result<std::int64_t> append_audit(const AuditEntry& e) override { return real_.append_audit(e); }
  Result<std::vector<AuditEntry>> list_audit(const AuditFilter& f) override {
    return real_.list_audit(f);
  }
  Result<ClaimResult> claim_device(const DeviceClaim& c) override { return real_.claim_device(c); }
  Result<bool> renew_claim(const std::string& device, const std::string& node,
                           const std::string& session, TimePoint expires) override {
    return real_.renew_claim(device, node, session, expires);
  }
  Status release_claim(const std::string& device, const std::string& node,
                       const std::string& session) override {
    return real_.release_claim(device, node, session);
  }
  Result<std::int64_t> extend_node_claims(const std::string& node, TimePoint expires) override {
    return real_.extend_node_claims(node, expires);
  }
  Result<std::vector<DeviceClaim>> release_node_claims(const std::string& node) override {
    return real_.release_node_claims(node);
  }
  Result<std::vector<DeviceClaim>> list_claims() override { return real_.list_claims(); }
  Status heartbeat(const NodeHeartbeat& n) override { return real_.heartbeat(n); }
  Result<std::vector<NodeHeartbeat>> list_nodes(TimePoint since) override {
    return real_.list_nodes(since);
  }
  Result<std::optional<ClusterSetting>> find_setting(const std::string& name) override {
    return real_.find_setting(name);
  }
  Result<std::int64_t> put_setting(const std::string& name, const std::string& value,
                                   std::int64_t expected) override {
    return real_.put_setting(name, value, expected);
  }
  Result<std::vector<ClusterSetting>> list_settings() override { return real_.list_settings(); }
  Status transact(const std::function<Status()>& fn) override { return real_.transact(fn); }

 private:
  Registry& real_;
  std::string device_;
};

TEST_F(DeviceCsvTest, AFailureWhileApplyingImportsNothingHalf) {
  set({.name = "SEP000000000001", .description = "before"});
  RegistryFailingOn failing(*registry_, "SEP0000000001F4");  // device 500, on line 501
  AdminService admin(failing, *trust_, clock_, AdminPolicy{10, false});
  DeviceCsv csv(failing, admin);
  std::string text = "device_name,operation,description\n";
  for (int i = 1; i <= 1000; ++i)
    text += fmt::format("SEP{:012X},install,after\n", i);
  auto r = csv.import_csv(text, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDatabase);
  EXPECT_NE(r.error().message.find("line 501: disk I/O error"), std::string::npos)
      << r.error().message;
  // Lines 2 to 500 (498 new devices and a change to an existing one) were rolled back with it.
  EXPECT_EQ(device_count(), 1);
  Device kept = get("SEP000000000001");
  EXPECT_EQ(kept.description, "before");
  EXPECT_EQ(kept.operation, Operation::kNone);
}

TEST_F(DeviceCsvTest, ExportNeverWritesAuthStringsAndPagesThroughEveryDevice) {
  set({.name = "SEP00000000000B",
       .operation = Operation::kInstall,
       .auth_mode = AuthMode::kAuthString,
       .auth_string = "998877",
       .description = "has \"quotes\", commas\nand lines"});
  for (int i = 0; i < 7; ++i)
    set({.name = fmt::format("CSFUSER{}", i)});
  std::vector<std::string> chunks;
  ASSERT_TRUE(csv_->export_csv(
      [&](std::string_view c) -> Status {
        chunks.emplace_back(c);
        return ok();
      },
      3));
  EXPECT_EQ(chunks.size(), 4u);  // header + pages of 3, 3 and 2
  std::string text;
  for (const auto& c : chunks)
    text += c;
  EXPECT_EQ(text.find("998877"), std::string::npos);
  auto records = parse_csv(text);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 9u);
  EXPECT_EQ(
      (*records)[0].fields,
      (std::vector<std::string>{"device_name", "operation", "auth_mode", "auth_string_set",
                                "key_order", "rsa_bits", "ec_bits", "deadline", "description"}));
  const auto& phone = (*records)[8].fields;
  EXPECT_EQ(phone[0], "SEP00000000000B");
  EXPECT_EQ(phone[1], "install");
  EXPECT_EQ(phone[2], "string");
  EXPECT_EQ(phone[3], "true");
  EXPECT_EQ(phone[7], format_utc(clock_.now() + 10 * kDay));
  EXPECT_EQ(phone[8], "has \"quotes\", commas\nand lines");
  EXPECT_EQ((*records)[1].fields[3], "false");
  EXPECT_EQ((*records)[1].fields[7], "none");
}

TEST_F(DeviceCsvTest, ExportThenImportYieldsIdenticalDevices) {
  set({.name = "SEP001122334455",
       .operation = Operation::kInstall,
       .auth_mode = AuthMode::kLscFirst,
       .key_order = KeyOrder::kEcOnly,
       .ec_bits = 521,
       .deadline = std::optional<TimePoint>(*parse_utc("2027-01-02T03:04:05Z")),
       .description = "desk, \"north\""});
  set({.name = "CSFJSMITH",
       .operation = Operation::kTroubleshoot,
       .auth_mode = AuthMode::kMicFirst,
       .key_order = KeyOrder::kEcPreferredRsaBackup,
       .rsa_bits = 4096,
       .deadline = std::optional<std::optional<TimePoint>>(std::optional<TimePoint>())});
  set({.name = "SEP0011223344AA", .auth_mode = AuthMode::kAuthString, .auth_string = "1234"});
  auto exported = csv_->export_csv_text();
  ASSERT_TRUE(exported) << exported.error().message;

  // Into the same registry: nothing changes (not even the status or the version).
  auto before = registry_->list_devices(DeviceFilter{});
  ASSERT_TRUE(before);
  auto same = import(*exported);
  ASSERT_TRUE(same.applied) << errors_of(same);
  EXPECT_EQ(same.unchanged, 3u);
  auto after = registry_->list_devices(DeviceFilter{});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), before->size());
  for (std::size_t i = 0; i < after->size(); ++i)
    EXPECT_EQ((*after)[i].version, (*before)[i].version) << (*after)[i].name.str();

  // Into a fresh registry: the same CAPF fields.
  TempDir other_dir;
  auto other = SqliteRegistry::open((other_dir.path() / "r.db").string(), clock_, {false, 5000});
  ASSERT_TRUE(other) << other.error().message;
  TrustStores other_trust(**other);
  AdminService other_admin(**other, other_trust, clock_, AdminPolicy{10, false});
  DeviceCsv other_csv(**other, other_admin);
  auto copied = other_csv.import_csv(*exported, {});
  ASSERT_TRUE(copied) << copied.error().message;
  ASSERT_TRUE(copied->applied) << errors_of(*copied);
  EXPECT_EQ(copied->created, 3u);
  auto copies = (*other)->list_devices(DeviceFilter{});
  ASSERT_TRUE(copies);
  ASSERT_EQ(copies->size(), before->size());
  for (std::size_t i = 0; i < copies->size(); ++i) {
    const Device& a = (*before)[i];
    const Device& b = (*copies)[i];
    SCOPED_TRACE(a.name.str());
    EXPECT_EQ(b.name.str(), a.name.str());
    EXPECT_EQ(b.operation, a.operation);
    EXPECT_EQ(b.auth_mode, a.auth_mode);
    EXPECT_EQ(b.key_order, a.key_order);
    EXPECT_EQ(b.rsa_bits, a.rsa_bits);
    EXPECT_EQ(b.ec_bits, a.ec_bits);
    EXPECT_EQ(b.deadline, a.deadline);
    EXPECT_EQ(b.description, a.description);
    EXPECT_EQ(b.status, a.status);
    EXPECT_FALSE(b.auth_string);  // never exported
  }
  auto re_exported = other_csv.export_csv_text();
  ASSERT_TRUE(re_exported);
  // Identical but for auth_string_set (the copy holds no strings).
  std::string expected = *exported;
  auto pos = expected.find("SEP0011223344AA,none,string,true");
  ASSERT_NE(pos, std::string::npos);
  expected.replace(pos, 32, "SEP0011223344AA,none,string,false");
  EXPECT_EQ(*re_exported, expected);
}

// Descriptions a spreadsheet would run as formulas are exported with a ' in front and come back
// from the export unchanged.
TEST_F(DeviceCsvTest, ExportNeutralisesFormulasAndImportRestoresThem) {
  const std::vector<std::string> descriptions = {"=HYPERLINK(\"http://evil\",\"x\")",
                                                 "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                                 "'=kept quote"};
  for (std::size_t i = 0; i < descriptions.size(); ++i)
    set({.name = fmt::format("SEP00000000000{}", i), .description = descriptions[i]});
  auto exported = csv_->export_csv_text();
  ASSERT_TRUE(exported) << exported.error().message;
  for (const char* guarded : {"\"'=HYPERLINK(", ",'+cmd|", ",'-2+3", ",'@SUM(A1)", ",''=kept"})
    EXPECT_NE(exported->find(guarded), std::string::npos) << guarded << " in\n" << *exported;
  auto same = import(*exported);
  ASSERT_TRUE(same.applied) << errors_of(same);
  EXPECT_EQ(same.unchanged, descriptions.size());
  for (std::size_t i = 0; i < descriptions.size(); ++i)
    set({.name = fmt::format("SEP00000000000{}", i), .description = "changed"});
  auto restored = import(*exported);
  ASSERT_TRUE(restored.applied) << errors_of(restored);
  EXPECT_EQ(restored.updated, descriptions.size());
  for (std::size_t i = 0; i < descriptions.size(); ++i)
    EXPECT_EQ(get(fmt::format("SEP00000000000{}", i)).description, descriptions[i]);
}

// A name that is a path, a separator or a formula is refused on its line, naming the allowed
// characters, and nothing is imported.
TEST_F(DeviceCsvTest, RefusesUnsafeDeviceNames) {
  auto r = import(
      "device_name,description\n"
      "../../tmp/x,path\n"
      "\"a,b\",comma\n"
      "'=cmd,formula\n"
      "CTI-App-1,fine\n");
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.errors, 3u);
  const char* kExpected[] = {
      "line 2: device_name: device name '../../tmp/x' has '.' at character 1",
      "line 3: device_name: device name 'a,b' has ','",
      "line 4: device_name: device name '=cmd' has '='"};
  ASSERT_EQ(r.lines.size(), 4u);
  for (std::size_t i = 0; i < std::size(kExpected); ++i) {
    ASSERT_EQ(r.lines[i].errors.size(), 1u) << errors_of(r);
    const std::string& error = r.lines[i].errors[0];
    EXPECT_EQ(error.find(kExpected[i]), 0u) << error;
    EXPECT_NE(error.find("use letters, digits, '.', '_' and '-'"), std::string::npos) << error;
  }
  EXPECT_TRUE(r.lines[3].errors.empty()) << errors_of(r);
  EXPECT_EQ(device_count(), 0);
}

// ---- reports ----

class CapfReportsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    reports_ = std::make_unique<CapfReports>(*registry_, clock_);
  }

  // Records that `name` holds an LSC expiring at `not_after` (as a finished install would).
  void give_lsc(const std::string& name, const std::string& serial, TimePoint not_after) {
    Device d = set({.name = name});
    d.lsc = LscInfo{serial, "CN=CAPF-test,O=Example", not_after};
    d.status = OperationStatus::success(Operation::kInstall);
    ASSERT_TRUE(registry_->update_device(d));
  }

  std::vector<std::vector<std::string>> rows(const Result<std::string>& text) {
    EXPECT_TRUE(text) << text.error().message;
    auto records = parse_csv(text ? *text : "");
    EXPECT_TRUE(records);
    std::vector<std::vector<std::string>> out;
    if (!records)
      return out;
    for (auto& r : *records)
      out.push_back(r.fields);
    return out;
  }

  std::unique_ptr<CapfReports> reports_;
};

TEST_F(CapfReportsTest, CapfReportListsEveryDeviceWithItsLsc) {
  // One LSC from a real install, so the report shows what the ledger and the device row hold.
  set({.name = "SEP001122334455", .operation = Operation::kInstall});
  auto lsc = install("SEP001122334455", auth_response("SEP001122334455"), {KeyType::kRsa, 2048});
  ASSERT_TRUE(lsc);
  set({.name = "CSFJSMITH",
       .operation = Operation::kInstall,
       .auth_mode = AuthMode::kAuthString,
       .auth_string = "4444"});
  auto table = rows(reports_->capf_report_text());
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table[0],
            (std::vector<std::string>{"device", "operation", "auth_mode", "status", "status_time",
                                      "lsc_serial", "lsc_issuer", "lsc_expiry"}));
  EXPECT_EQ(table[1],
            (std::vector<std::string>{"CSFJSMITH", "install", "string", "Operation Pending",
                                      format_utc(clock_.now()), "", "", ""}));
  Device phone = get("SEP001122334455");
  ASSERT_TRUE(phone.lsc);
  EXPECT_EQ(table[2][0], "SEP001122334455");
  EXPECT_EQ(table[2][1], "none");
  EXPECT_EQ(table[2][3], "Upgrade Success");
  EXPECT_EQ(table[2][5], lsc->serial_hex());
  EXPECT_EQ(table[2][5], phone.lsc->serial_hex);
  EXPECT_EQ(table[2][6], phone.lsc->issuer);
  EXPECT_NE(table[2][6].find("CAPF-test"), std::string::npos);
  EXPECT_EQ(table[2][7], format_utc(phone.lsc->not_after));
}

TEST_F(CapfReportsTest, ExpiringReportIsSortedByExpiryAndBoundedByDays) {
  const TimePoint now = clock_.now();
  give_lsc("SEP000000000001", "01", now + 20 * kDay);
  give_lsc("SEP000000000002", "02", now + 5 * kDay);
  give_lsc("SEP000000000003", "03", now + 31 * kDay);
  give_lsc("SEP000000000004", "04", now - 2 * kDay);  // already expired
  give_lsc("SEP000000000005", "05", now + 300 * kDay);
  set({.name = "SEP000000000006"});  // no LSC
  auto table = rows(reports_->expiring_report_text(30));
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[0], (std::vector<std::string>{"device", "lsc_serial", "lsc_issuer", "lsc_expiry",
                                                "days_left", "operation", "status"}));
  EXPECT_EQ(table[1][0], "SEP000000000004");
  EXPECT_EQ(table[1][4], "-2");
  EXPECT_EQ(table[2][0], "SEP000000000002");
  EXPECT_EQ(table[2][1], "02");
  EXPECT_EQ(table[2][3], format_utc(now + 5 * kDay));
  EXPECT_EQ(table[2][4], "5");
  EXPECT_EQ(table[2][6], "Upgrade Success");
  EXPECT_EQ(table[3][0], "SEP000000000001");
  EXPECT_EQ(rows(reports_->expiring_report_text(400)).size(), 6u);
  EXPECT_EQ(rows(reports_->expiring_report_text(0)).size(), 2u);
  // Paging does not change the order.
  std::string paged;
  ASSERT_TRUE(reports_->expiring_report(
      400,
      [&](std::string_view c) -> Status {
        paged += c;
        return ok();
      },
      2));
  EXPECT_EQ(paged, *reports_->expiring_report_text(400));
  auto bad = reports_->expiring_report_text(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CapfReportsTest, SinkErrorsStopTheReport) {
  set({.name = "SEP000000000001"});
  int calls = 0;
  Status s = reports_->capf_report([&](std::string_view) -> Status {
    ++calls;
    return make_error(ErrorCode::kIo, "disk full");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace capf::testing
