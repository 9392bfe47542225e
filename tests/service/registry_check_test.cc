// check_registry against a real SQLite registry with each kind of inconsistency planted.
#include "capf/service/registry_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <future>
#include <thread>

#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf::testing {
namespace {

constexpr const char* kA = "SEP00000000000A";
const TimePoint kT0 = from_unix(1'780'000'000);

DeviceName name_of(const std::string& text) {
  return *DeviceName::parse(text);
}

// A device as the flows leave it: `lsc` its current LSC ("" for none).
Device device(const std::string& name, Operation op, OperationStatus status,
              const std::string& lsc = "") {
  Device d{.name = name_of(name),
           .auth_string = std::nullopt,
           .deadline = std::nullopt,
           .status = status,
           .status_detail = {},
           .lsc = std::nullopt,
           .description = {}};
  d.operation = op;
  d.status_time = kT0;
  if (!lsc.empty())
    d.lsc = LscInfo{lsc, "CN=CAPF-test", kT0 + std::chrono::hours(24 * 365)};
  return d;
}

IssuedCertificate cert(const std::string& serial, const std::string& device_name,
                       CertificateState state, TimePoint state_time = kT0) {
  IssuedCertificate c;
  c.serial_hex = serial;
  c.device_name = device_name;
  c.issuer = "CN=CAPF-test";
  c.subject = "CN=" + device_name;
  c.key_spec = "ec:p256";
  c.not_before = kT0;
  c.not_after = kT0 + std::chrono::hours(24 * 365);
  c.pem = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  c.state = state;
  c.issued_at = kT0;
  c.state_time = state_time;
  return c;
}

CertificateRequestRecord request(const std::string& id, RequestState state) {
  CertificateRequestRecord r;
  r.id = id;
  r.device_name = kA;
  r.mode = "offline";
  r.ca = "offline";
  r.key_spec = "ec:p256";
  r.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
  r.state = state;
  return r;
}

struct Case {
  std::string name;
  std::function<void(Registry&)> plant;
  std::vector<std::string> kinds{};  // the problems expected, sorted
  std::string serial{};              // a serial some problem must name, if any
};

// gtest prints a failing case by its name rather than its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

const OperationStatus kInstalled = OperationStatus::success(Operation::kInstall);

std::vector<Case> cases() {
  auto must = [](auto&& r) { ASSERT_TRUE(r) << r.error().message; };
  return {
      {"sound",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kNone, kInstalled, "0b")));
         must(r.record_issued(cert("0a", kA, CertificateState::kRevoked)));
         must(r.record_issued(cert("0b", kA, CertificateState::kInstalled)));
         must(r.record_issued(cert("0c", kA, CertificateState::kRejected)));
         must(r.insert_device(
             device("SEP00000000000B", Operation::kInstall, OperationStatus::pending())));
       },
       {}},
      {"replaced_lsc_not_revoked",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kNone, kInstalled, "0b")));
         must(r.record_issued(cert("0a", kA, CertificateState::kInstalled)));
         must(r.record_issued(cert("0b", kA, CertificateState::kInstalled)));
       },
       {"replaced-not-revoked", "several-installed"},
       "0a"},
      {"installed_but_device_still_pending_without_it",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kInstall, OperationStatus::pending())));
         must(r.record_issued(
             cert("0a", kA, CertificateState::kInstalled, kT0 + std::chrono::hours(1))));
       },
       {"installed-not-current", "pending-after-install"},
       "0a"},
      {"operation_lost",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kNone, OperationStatus::pending())));
       },
       {"pending-without-operation"}},
      {"ready_request_without_certificate",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kInstall, OperationStatus::pending())));
         must(r.insert_request(request("r1", RequestState::kReady)));
       },
       {"request"}},
      {"two_open_requests",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kInstall, OperationStatus::pending())));
         must(r.insert_request(request("r1", RequestState::kWaiting)));
         must(r.insert_request(request("r2", RequestState::kWaiting)));  // supersedes r1
         must(r.update_request(request("r1", RequestState::kWaiting)));
       },
       {"request"}},
      {"delivered_request_never_installed",
       [must](Registry& r) {
         must(r.insert_device(device(kA, Operation::kInstall, OperationStatus::pending())));
         must(r.record_issued(cert("0c", kA, CertificateState::kIssued)));
         CertificateRequestRecord delivered = request("r1", RequestState::kDelivered);
         delivered.certificate_serial = "0c";
         must(r.insert_request(delivered));
       },
       {"request"},
       "0c"},
      {"removed_device_keeps_its_history",
       [must](Registry& r) { must(r.record_issued(cert("0a", kA, CertificateState::kInstalled))); },
       {}},
  };
}

class RegistryCheckTest : public ::testing::TestWithParam<Case> {
 protected:
  std::unique_ptr<SqliteRegistry> open(int busy_timeout_ms = 5000) {
    return open_test_registry(tmp_.path(), clock_, busy_timeout_ms);
  }
  FakeClock clock_{kT0};
  TempDir tmp_;
};

TEST_P(RegistryCheckTest, ReportsWhatWasPlanted) {
  auto registry = open();
  ASSERT_TRUE(registry);
  GetParam().plant(*registry);
  auto report = check_registry(*registry);
  ASSERT_TRUE(report) << report.error().message;
  std::vector<std::string> kinds;
  for (const RegistryProblem& p : report->problems)
    kinds.push_back(p.kind);
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds, GetParam().kinds);
  EXPECT_EQ(report->ok(), GetParam().kinds.empty());
  for (const RegistryProblem& p : report->problems) {
    EXPECT_EQ(p.device, kA) << p.detail;  // every problem names its device
    EXPECT_FALSE(p.detail.empty());
  }
  if (!GetParam().serial.empty()) {
    bool named =
        std::any_of(report->problems.begin(), report->problems.end(),
                    [&](const RegistryProblem& p) { return p.serial == GetParam().serial; });
    EXPECT_TRUE(named) << "no problem names serial " << GetParam().serial;
  }
}

INSTANTIATE_TEST_SUITE_P(Planted, RegistryCheckTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// The check reads a snapshot: it neither waits for nor blocks a server that is writing.
TEST_F(RegistryCheckTest, RunsWhileAnotherConnectionHoldsTheWriteLock) {
  auto server = open();
  auto checker = open(/*busy_timeout_ms=*/100);
  ASSERT_TRUE(server && checker);
  ASSERT_TRUE(server->insert_device(device(kA, Operation::kNone, kInstalled, "0b")));
  ASSERT_TRUE(server->record_issued(cert("0b", kA, CertificateState::kInstalled)));
  std::promise<void> writing, checked;
  std::thread writer([&] {
    (void)server->transact([&]() -> Status {
      CAPF_TRY(server->record_issued(cert("0c", kA, CertificateState::kIssued)));
      writing.set_value();
      checked.get_future().wait();
      return ok();
    });
  });
  writing.get_future().wait();
  auto report = check_registry(*checker);
  checked.set_value();
  writer.join();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->devices, 1);
  EXPECT_EQ(report->installed, 1);
}

}  // namespace
}  // namespace capf::testing
