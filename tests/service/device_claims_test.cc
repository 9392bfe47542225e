// One phone session per device (docs/cluster.md, "Claims and failover"): the enrollment service
// claims the device once the phone authenticated, refuses a second session while the claim holds,
// takes over a claim that expired, and releases it however the session ends, once the database
// answers when it did not at the end.
#include "capf/service/device_claims.h"

#include "tests/service/service_fixture.h"
#include "tests/support/raw_db.h"

namespace capf::testing {
namespace {

constexpr const char* kPhone = "SEP001122334455";

class DeviceClaimsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    rebuild_as_node("node-a");
  }

  void set_operation(Operation op, AuthMode mode = AuthMode::kNullString) {
    DeviceChange c;
    c.name = kPhone;
    c.operation = op;
    c.auth_mode = mode;
    c.auth_string =
        mode == AuthMode::kAuthString ? std::optional<std::string>("1234") : std::nullopt;
    set(c);
  }

  // Another node's session holds kPhone for `lease` from now.
  void claim_elsewhere(std::chrono::seconds lease) {
    auto r = registry_->claim_device(
        DeviceClaim{kPhone, "node-b", "0000beef", clock_.now(), clock_.now() + lease});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->granted);
  }

  std::vector<DeviceClaim> claims() {
    auto all = registry_->list_claims();
    EXPECT_TRUE(all) << all.error().message;
    return all ? *all : std::vector<DeviceClaim>{};
  }

  std::size_t issued() {
    CertificateFilter f;
    f.device_name = kPhone;
    auto all = registry_->list_certificates(f);
    EXPECT_TRUE(all) << all.error().message;
    return all ? all->size() : 0;
  }

  std::vector<std::string> claim_events() {
    std::vector<std::string> out;
    auto events = registry_->device_events(kPhone, 50);
    EXPECT_TRUE(events) << events.error().message;
    for (const DeviceEvent& e : events ? *events : std::vector<DeviceEvent>{}) {
      if (e.kind == kClaimEvent)
        out.push_back(e.session + " " + e.detail);
    }
    return out;
  }
};

TEST_F(DeviceClaimsTest, AnOpenSessionHoldsTheDeviceUntilItsLeaseFromNow) {
  set_operation(Operation::kInstall);
  OpenDecision d = service_->open(session(1), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  auto held = claims();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].device_name, kPhone);
  EXPECT_EQ(held[0].node, "node-a");
  EXPECT_EQ(held[0].session, "00000001");
  EXPECT_EQ(held[0].expires, clock_.now() + std::chrono::seconds(60));
}

TEST_F(DeviceClaimsTest, ASecondSessionIsRefusedWithTheHolderAndNothingIsIssued) {
  set_operation(Operation::kInstall);
  OpenDecision first = service_->open(session(1), auth_response(kPhone));
  ASSERT_EQ(first.kind, OpenDecision::Kind::kInstall);

  OpenDecision second = service_->open(session(2), auth_response(kPhone));
  EXPECT_EQ(second.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(second.end, SessionEnd::kDeviceBusy);
  EXPECT_EQ(second.log, "device busy: held by session 00000001 on node node-a");
  EXPECT_EQ(claim_events(),
            std::vector<std::string>{"00000002 busy: held by session 00000001 on node node-a"});
  EXPECT_EQ(claims().size(), 1u);  // the refusal did not release the holder's claim
  EXPECT_NE(service_->metrics().prometheus_text().find("\nopencapf_sessions_busy_total 1\n"),
            std::string::npos);

  // The holder finishes: one certificate, and the device is free again.
  KeyDecision k = answer_new_key(session(1), *first.context);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kStore);
  EXPECT_EQ(service_->stored(session(1), *first.context, kDone), SessionEnd::kCertificateStored);
  EXPECT_EQ(issued(), 1u);
  EXPECT_TRUE(claims().empty());
}

TEST_F(DeviceClaimsTest, AClaimOfAnotherNodeRefusesAndLeavesTheStatusAlone) {
  set_operation(Operation::kInstall);
  claim_elsewhere(std::chrono::seconds(60));
  Device before = get(kPhone);
  OpenDecision d = service_->open(session(7), auth_response(kPhone));
  EXPECT_EQ(d.end, SessionEnd::kDeviceBusy);
  EXPECT_EQ(claim_events(),
            std::vector<std::string>{"00000007 busy: held by session 0000beef on node node-b"});
  EXPECT_EQ(get(kPhone).status, before.status);
  EXPECT_EQ(get(kPhone).operation, Operation::kInstall);
  EXPECT_EQ(issued(), 0u);
}

TEST_F(DeviceClaimsTest, AWrongAuthenticationStringNeverClaimsTheDevice) {
  set_operation(Operation::kInstall, AuthMode::kAuthString);
  OpenDecision d = service_->open(session(3), auth_response(kPhone, "9999"));
  EXPECT_EQ(d.end, SessionEnd::kAuthenticationFailed);
  EXPECT_TRUE(claims().empty());
  EXPECT_TRUE(claim_events().empty());
}

TEST_F(DeviceClaimsTest, AnExpiredClaimIsTakenOverAndShownAsInterrupted) {
  set_operation(Operation::kInstall);
  claim_elsewhere(std::chrono::seconds(15));
  clock_.advance(std::chrono::seconds(16));
  OpenDecision d = service_->open(session(4), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  EXPECT_EQ(claim_events(), std::vector<std::string>{
                                "00000004 interrupted: session 0000beef on node node-b did not "
                                "finish"});
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].session, "00000004");
}

TEST_F(DeviceClaimsTest, AMessageHalfALeaseLaterMovesTheExpirySoALongSessionKeepsTheDevice) {
  set_operation(Operation::kInstall);
  OpenDecision d = service_->open(session(1), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  clock_.advance(std::chrono::seconds(50));
  protocol::KeyGenerateResponse none;  // the phone could not make the key: the next one is asked
  d.context->key_plan.push_back(d.context->current_key());
  KeyDecision k = service_->key_generated(session(1), *d.context, none);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kAskNextKey);
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].expires, clock_.now() + std::chrono::seconds(60));
  clock_.advance(std::chrono::seconds(50));  // 100 s after open: still this session's
  EXPECT_EQ(service_->open(session(2), auth_response(kPhone)).end, SessionEnd::kDeviceBusy);
}

TEST_F(DeviceClaimsTest, AMessageWithinHalfALeaseLeavesTheClaimAsItIs) {
  set_operation(Operation::kInstall);
  OpenDecision d = service_->open(session(1), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  const TimePoint expires = clock_.now() + std::chrono::seconds(60);
  clock_.advance(std::chrono::seconds(29));  // the lease is 60 s: the claim cannot have lapsed
  protocol::KeyGenerateResponse none;
  d.context->key_plan.push_back(d.context->current_key());
  ASSERT_EQ(service_->key_generated(session(1), *d.context, none).kind,
            KeyDecision::Kind::kAskNextKey);
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].expires, expires);  // not written again
  EXPECT_EQ(claims()[0].session, "00000001");
}

// A node whose clock runs a lease ahead takes the claim a moment after the session made it: the
// step does not claim again so soon, and the ledger row's condition still keeps the certificate.
TEST_F(DeviceClaimsTest, AClaimTakenWithinHalfALeaseStillIssuesNothing) {
  set_operation(Operation::kInstall);
  OpenDecision d = service_->open(session(1), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  const TimePoint ahead = clock_.now() + std::chrono::seconds(61);
  auto taken = registry_->claim_device(
      DeviceClaim{kPhone, "node-b", "0000beef", ahead, ahead + std::chrono::seconds(60)});
  ASSERT_TRUE(taken) << taken.error().message;
  ASSERT_TRUE(taken->granted);
  clock_.advance(std::chrono::seconds(5));

  KeyDecision late = answer_new_key(session(1), *d.context);
  EXPECT_EQ(late.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(late.end, SessionEnd::kDeviceBusy);
  EXPECT_EQ(issued(), 0u);
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].session, "0000beef");
}

TEST_F(DeviceClaimsTest, ASessionWhoseClaimWasTakenOverIssuesNothing) {
  set_operation(Operation::kInstall);
  OpenDecision slow = service_->open(session(1), auth_response(kPhone));
  ASSERT_EQ(slow.kind, OpenDecision::Kind::kInstall);
  clock_.advance(std::chrono::seconds(61));  // its node stopped renewing; another session came
  OpenDecision fresh = service_->open(session(2), auth_response(kPhone));
  ASSERT_EQ(fresh.kind, OpenDecision::Kind::kInstall);

  KeyDecision late = answer_new_key(session(1), *slow.context);
  EXPECT_EQ(late.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(late.end, SessionEnd::kDeviceBusy);
  EXPECT_EQ(issued(), 0u);
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].session, "00000002");  // the late session's ending released nothing
  KeyDecision k = answer_new_key(session(2), *fresh.context);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kStore);
  EXPECT_EQ(service_->stored(session(2), *fresh.context, kDone), SessionEnd::kCertificateStored);
  EXPECT_EQ(issued(), 1u);
}

TEST_F(DeviceClaimsTest, EveryEndingReleasesTheClaim) {
  struct Case {
    const char* name;
    Operation op;
    std::function<void(const SessionInfo&, EnrollmentContext&)> finish;
  };
  const std::vector<Case> cases = {
      {"stored", Operation::kInstall,
       [this](const SessionInfo& s, EnrollmentContext& c) {
         ASSERT_EQ(answer_new_key(s, c).kind, KeyDecision::Kind::kStore);
         service_->stored(s, c, kDone);
       }},
      {"not stored", Operation::kInstall,
       [this](const SessionInfo& s, EnrollmentContext& c) {
         ASSERT_EQ(answer_new_key(s, c).kind, KeyDecision::Kind::kStore);
         service_->stored(s, c, kRefused);
       }},
      {"no key", Operation::kInstall,
       [this](const SessionInfo& s, EnrollmentContext& c) {
         c.key_plan.resize(1);
         EXPECT_EQ(service_->key_generated(s, c, {}).kind, KeyDecision::Kind::kEnd);
       }},
      {"disconnected", Operation::kInstall,
       [this](const SessionInfo& s, EnrollmentContext& c) {
         service_->failed(s, &c, SessionFailure::kDisconnected, "gone");
       }},
      {"shutdown", Operation::kInstall,
       [this](const SessionInfo& s, EnrollmentContext& c) {
         service_->failed(s, &c, SessionFailure::kShutdown, "stopping");
       }},
      {"fetched", Operation::kTroubleshoot,
       [this](const SessionInfo& s, EnrollmentContext& c) {
         service_->fetched(s, c, kRefused, {});
       }},
      {"deleted", Operation::kDelete,
       [this](const SessionInfo& s, EnrollmentContext& c) { service_->deleted(s, c, kDone); }},
  };
  std::uint32_t id = 10;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    set_operation(c.op);
    SessionInfo s = session(++id);
    OpenDecision d = service_->open(s, auth_response(kPhone));
    ASSERT_NE(d.kind, OpenDecision::Kind::kEnd) << d.log;
    ASSERT_EQ(claims().size(), 1u);
    c.finish(s, *d.context);
    EXPECT_TRUE(claims().empty());
  }
}

TEST_F(DeviceClaimsTest, ANodeStartingAgainFreesWhatItsLastRunHeldAndShowsItInterrupted) {
  set_operation(Operation::kInstall);
  auto mine = registry_->claim_device(DeviceClaim{kPhone, "node-a", "00000099", clock_.now(),
                                                  clock_.now() + std::chrono::hours(1)});
  ASSERT_TRUE(mine && mine->granted);
  auto theirs = registry_->claim_device(DeviceClaim{
      "SEP0000000000AA", "node-b", "00000005", clock_.now(), clock_.now() + std::chrono::hours(1)});
  ASSERT_TRUE(theirs && theirs->granted);

  auto released = release_claims_left_behind(*registry_, clock_, "node-a");
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(*released, 1u);
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].node, "node-b");
  EXPECT_EQ(claim_events(), std::vector<std::string>{
                                "00000099 interrupted: session 00000099 on node node-a did not "
                                "finish"});
  EXPECT_EQ(service_->open(session(1), auth_response(kPhone)).kind, OpenDecision::Kind::kInstall);
}

// The database refused the release (here another process holds SQLite's write lock; in a cluster,
// PostgreSQL restarting). The node's heartbeat extends every claim the node holds, so the claim
// would keep the device from every other session for as long as the node lives: the release is
// kept and tried again until it goes through.
TEST_F(DeviceClaimsTest, AReleaseTheDatabaseRefusedIsTriedAgainUntilItGoesThrough) {
  auto registry = open_test_registry(dir_, clock_, 100);
  ASSERT_TRUE(registry);
  DeviceClaims node_claims(*registry, clock_, "node-a", std::chrono::seconds(60));
  auto phone = DeviceName::parse(kPhone);
  ASSERT_TRUE(phone);
  auto claimed = node_claims.claim(*phone, "00000001");
  ASSERT_TRUE(claimed && claimed->granted);
  EXPECT_EQ(node_claims.retry_releases(), 0u);  // nothing waits

  RawDb other(dir_ / "registry.db");
  other.exec("BEGIN IMMEDIATE");
  node_claims.release(*phone, "00000001");
  node_claims.release(*phone, "00000001");      // a second ending of the same session: kept once
  EXPECT_EQ(node_claims.retry_releases(), 1u);  // still locked
  other.exec("COMMIT");

  // What the heartbeat does next: the claim is still there, and it is extended.
  auto extended = registry->extend_node_claims("node-a", clock_.now() + std::chrono::hours(1));
  ASSERT_TRUE(extended) << extended.error().message;
  EXPECT_EQ(*extended, 1);

  EXPECT_EQ(node_claims.retry_releases(), 0u);
  EXPECT_TRUE(claims().empty());
  EXPECT_EQ(node_claims.retry_releases(), 0u);
  // Another node's session gets the device now.
  auto theirs = registry->claim_device(DeviceClaim{kPhone, "node-b", "0000beef", clock_.now(),
                                                   clock_.now() + std::chrono::hours(1)});
  ASSERT_TRUE(theirs) << theirs.error().message;
  EXPECT_TRUE(theirs->granted);
}

// Another writer holds the registry, and the registry waits for it only briefly.
class DeviceClaimsLockedOutTest : public DeviceClaimsTest {
 protected:
  void SetUp() override {
    busy_timeout_ms_ = 100;
    DeviceClaimsTest::SetUp();
  }
};

// On PostgreSQL a claim whose commit failed may have landed before the connection broke, and the
// node's heartbeat would then keep it alive: the session's ending releases it like any other.
TEST_F(DeviceClaimsLockedOutTest, AClaimWhoseCommitFailedIsReleasedWithTheEnding) {
  set_operation(Operation::kInstall);
  RawDb other(dir_ / "registry.db");
  other.exec("BEGIN IMMEDIATE");
  OpenDecision refused = service_->open(session(1), auth_response(kPhone));
  EXPECT_EQ(refused.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(refused.end, SessionEnd::kRegistryUnavailable);
  EXPECT_EQ(service_->retry_claim_releases(), 1u);  // the release waits for the database
  other.exec("COMMIT");
  EXPECT_EQ(service_->retry_claim_releases(), 0u);
  EXPECT_EQ(service_->retry_claim_releases(), 0u);  // and is not kept once it went through

  OpenDecision next = service_->open(session(2), auth_response(kPhone));
  ASSERT_EQ(next.kind, OpenDecision::Kind::kInstall);
  ASSERT_EQ(claims().size(), 1u);
  EXPECT_EQ(claims()[0].session, "00000002");
}

}  // namespace
}  // namespace capf::testing
