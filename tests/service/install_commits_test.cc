// What an install costs the disk (docs/architecture.md §1.1): the claim rides unsynced, the ledger
// row is written (synced) only while the session holds the device's claim, and the confirmation
// releases the claim in its own synced transaction; concurrent confirmations share one commit.
// Inside a phone session's DeferredSync those two commits leave the fsync to one wait for both.
// Counted through the registry's own write statistics (SqlRegistry::write_stats()).
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "capf/store/deferred_sync.h"
#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

// The CAPF's own issuer, with a hook that runs while it signs (between the session's claim and
// the ledger row's transaction).
class HookedIssuer final : public Issuer {
 public:
  explicit HookedIssuer(std::shared_ptr<Issuer> real) : real_(std::move(real)) {}
  std::function<void()> while_signing;

  IssuerMode mode() const override { return real_->mode(); }
  bool needs_signed_request() const override { return real_->needs_signed_request(); }
  bool supports(const KeySpec& key) const override { return real_->supports(key); }
  Result<IssueOutcome> issue(const IssueRequest& request) override {
    if (while_signing)
      while_signing();
    return real_->issue(request);
  }

 private:
  std::shared_ptr<Issuer> real_;
};

class InstallCommits : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    rebuild_as_node("node-a");
  }

  void add_phone(const std::string& name, AuthMode mode = AuthMode::kNullString) {
    DeviceChange c;
    c.name = name;
    c.operation = Operation::kInstall;
    c.auth_mode = mode;
    if (mode == AuthMode::kAuthString)
      c.auth_string = "1234";
    set(c);
  }

  std::size_t claims() {
    auto all = registry_->list_claims();
    EXPECT_TRUE(all) << all.error().message;
    return all ? all->size() : 0;
  }

  std::string metrics_text() const { return service_->metrics().prometheus_text(); }

  std::size_t ledger_rows(const std::string& name) {
    CertificateFilter f;
    f.device_name = name;
    auto all = registry_->list_certificates(f);
    EXPECT_TRUE(all) << all.error().message;
    return all ? all->size() : 0;
  }
};

TEST_F(InstallCommits, AnInstallWaitsForTheDiskTwiceAndItsClaimNever) {
  add_phone("SEP000000000001");
  const auto before = registry_->write_stats();
  ASSERT_TRUE(install("SEP000000000001", auth_response("SEP000000000001"), {KeyType::kEc, 256}));
  const auto after = registry_->write_stats();
  // The claim at open (unsynced; the key step, well within half a lease, does not claim again),
  // the ledger row (synced, renewing the claim) and the confirmation (synced, releasing it).
  EXPECT_EQ(after.commits - before.commits, 3);
  EXPECT_EQ(after.synced_commits - before.synced_commits, 2);
  EXPECT_EQ(claims(), 0u);
  EXPECT_EQ(get("SEP000000000001").status, OperationStatus::success(Operation::kInstall));
}

// As a phone session makes its calls (PhoneSession::step): the ledger row and the confirmation
// commit without their fsync, and the service's one wait syncs them both (the session makes it
// before it sends the certificate and END_SESSION).
class DeferredInstall : public InstallCommits {
 protected:
  void SetUp() override {
    fsync_ = true;
    InstallCommits::SetUp();
  }
};

TEST_F(DeferredInstall, TheTwoDurableCommitsWaitForOneSyncThroughTheService) {
  add_phone("SEP000000000001");
  const auto before = registry_->write_stats();
  std::uint64_t ticket = 0;
  {
    DeferredSync session_steps;
    ASSERT_TRUE(install("SEP000000000001", auth_response("SEP000000000001"), {KeyType::kEc, 256}));
    ticket = session_steps.ticket();
  }
  const auto committed = registry_->write_stats();
  EXPECT_EQ(committed.commits - before.commits, 3);
  EXPECT_EQ(committed.synced_commits - before.synced_commits, 0);
  EXPECT_EQ(committed.deferred_commits - before.deferred_commits, 2);
  EXPECT_EQ(committed.log_syncs - before.log_syncs, 0);
  ASSERT_NE(ticket, 0u);
  ASSERT_TRUE(service_->wait_durable(ticket));
  EXPECT_EQ(registry_->write_stats().log_syncs - before.log_syncs, 1);
  // Outside a session's scope the same install waits for the disk itself, twice.
  add_phone("SEP000000000002");
  const auto plain = registry_->write_stats();
  ASSERT_TRUE(install("SEP000000000002", auth_response("SEP000000000002"), {KeyType::kEc, 256}));
  EXPECT_EQ(registry_->write_stats().synced_commits - plain.synced_commits, 2);
  EXPECT_EQ(registry_->write_stats().deferred_commits, committed.deferred_commits);
}

TEST_F(InstallCommits, ARightAuthenticationStringAddsOnlyItsCountedAttempt) {
  add_phone("SEP000000000002", AuthMode::kAuthString);
  const auto before = registry_->write_stats();
  ASSERT_TRUE(
      install("SEP000000000002", auth_response("SEP000000000002", "1234"), {KeyType::kEc, 256}));
  const auto after = registry_->write_stats();
  // The attempt is counted (synced) before the string is compared; its give-back rides in the
  // claim's unsynced commit.
  EXPECT_EQ(after.commits - before.commits, 4);
  EXPECT_EQ(after.synced_commits - before.synced_commits, 3);
  EXPECT_EQ(get("SEP000000000002").auth_failures, 0);
}

TEST_F(InstallCommits, ConcurrentConfirmationsShareOneSyncedCommit) {
  constexpr int kPhones = 6;
  std::vector<Delivered> sessions;
  for (int i = 0; i < kPhones; ++i) {
    const std::string name = "SEP00000000001" + std::to_string(i);
    add_phone(name);
    SessionInfo s = session(100 + i);
    OpenDecision d = service_->open(s, auth_response(name));
    ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall) << d.log;
    KeyDecision k = answer_new_key(s, *d.context);
    ASSERT_EQ(k.kind, KeyDecision::Kind::kStore) << k.log;
    sessions.push_back(
        Delivered{s, std::move(*d.context), *pki::Certificate::from_der(k.certificate_der)});
  }
  ASSERT_EQ(claims(), static_cast<std::size_t>(kPhones));

  // One write holds the commit until every confirmation waits behind it: they form one batch.
  const auto before = registry_->write_stats();
  std::latch holding(1);
  std::thread blocker([&] {
    Status s = registry_->transact([&]() -> Status {
      holding.count_down();
      for (int i = 0; i < 5000 && registry_->waiting_writes() < static_cast<std::size_t>(kPhones);
           ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return ok();
    });
    EXPECT_TRUE(s) << s.error().message;
  });
  holding.wait();
  std::atomic<int> stored{0};
  std::vector<std::thread> phones;
  for (Delivered& d : sessions) {
    phones.emplace_back([&] {
      if (service_->stored(d.session, d.context, kDone) == SessionEnd::kCertificateStored)
        ++stored;
    });
  }
  for (auto& t : phones)
    t.join();
  blocker.join();
  const auto after = registry_->write_stats();
  EXPECT_EQ(stored.load(), kPhones);
  // The blocker's commit and one for the six confirmations (each with its claim's release).
  EXPECT_EQ(after.synced_commits - before.synced_commits, 2);
  EXPECT_EQ(after.commits - before.commits, 2);
  EXPECT_EQ(claims(), 0u);
  for (const Delivered& d : sessions) {
    EXPECT_EQ(get(d.context.device.str()).status, OperationStatus::success(Operation::kInstall));
    EXPECT_EQ(get(d.context.device.str()).lsc->serial_hex, d.cert.serial_hex());
  }
}

TEST_F(InstallCommits, NoLedgerRowOnceAnotherSessionTookTheClaimDuringSigning) {
  auto hooked = std::make_shared<HookedIssuer>(issuers_->current());
  issuers_ = std::make_unique<IssuerHolder>(hooked);
  service_ = std::make_unique<EnrollmentService>(*registry_, *authenticator_, *issuers_, *identity_,
                                                 clock_, policy_);
  const std::string phone = "SEP000000000003";
  add_phone(phone);
  OpenDecision d = service_->open(session(1), auth_response(phone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall) << d.log;
  // The session's claim holds; while the certificate is signed, this node stalls past the lease
  // and another node's session takes the device.
  hooked->while_signing = [&] {
    clock_.advance(std::chrono::seconds(61));
    auto taken = registry_->claim_device(
        DeviceClaim{phone, "node-b", "0000beef", clock_.now(), clock_.now() + policy_.claim_lease});
    ASSERT_TRUE(taken && taken->granted);
  };
  const std::string before = metrics_text();
  KeyDecision k = answer_new_key(session(1), *d.context);
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(k.end, SessionEnd::kDeviceBusy);
  EXPECT_TRUE(k.certificate_der.empty());
  EXPECT_EQ(ledger_rows(phone), 0u);
  auto held = registry_->list_claims();
  ASSERT_TRUE(held && held->size() == 1u);
  EXPECT_EQ((*held)[0].node, "node-b");  // the late session released nothing of theirs
  EXPECT_NE(metrics_text().find("opencapf_sessions_busy_total 1\n"), std::string::npos);
  EXPECT_NE(before.find("opencapf_sessions_busy_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace capf::testing
