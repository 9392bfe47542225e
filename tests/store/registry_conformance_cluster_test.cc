// The registry conformance suite, part four: what several nodes share through the registry
// (ClusterState): device claims with an expiry, node heartbeats, versioned settings. Same fixture
// and instantiation as registry_conformance_test.cc; written against Registry only. Races use a
// connection per thread, as nodes do.
#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "tests/store/registry_conformance.h"

namespace capf::testing {
namespace {

constexpr std::int64_t kT0 = 1'750'000'000;  // the fake clock's start

DeviceClaim claim_of(std::string device, std::string node, std::string session,
                     std::int64_t at = kT0, std::int64_t lease = 60) {
  return DeviceClaim{.device_name = std::move(device),
                     .node = std::move(node),
                     .session = std::move(session),
                     .claimed = from_unix(at),
                     .expires = from_unix(at + lease)};
}

TEST_P(RegistryConformance, AClaimedDeviceIsRefusedToEveryOtherSessionUntilItIsReleased) {
  ASSERT_OK_AND_ASSIGN(ClaimResult first, registry_->claim_device(claim_of("SEPA", "n1", "s1")));
  EXPECT_TRUE(first.granted);
  EXPECT_FALSE(first.other.has_value());

  // Another session, on this node or another, is refused and told who holds the device.
  for (const auto& [node, session] : {std::pair{"n1", "s2"}, std::pair{"n2", "s1"}}) {
    ASSERT_OK_AND_ASSIGN(ClaimResult refused,
                         registry_->claim_device(claim_of("SEPA", node, session, kT0 + 30)));
    EXPECT_FALSE(refused.granted) << node << "/" << session;
    ASSERT_TRUE(refused.other.has_value());
    EXPECT_EQ(refused.other->node, "n1");
    EXPECT_EQ(refused.other->session, "s1");
    EXPECT_EQ(to_unix(refused.other->expires), kT0 + 60);
  }
  // Another device is free.
  ASSERT_OK_AND_ASSIGN(ClaimResult other_device,
                       registry_->claim_device(claim_of("SEPB", "n2", "s9")));
  EXPECT_TRUE(other_device.granted);

  // The holder claiming again moves its expiry; it is not reported as taken over.
  ASSERT_OK_AND_ASSIGN(ClaimResult again,
                       registry_->claim_device(claim_of("SEPA", "n1", "s1", kT0 + 50)));
  EXPECT_TRUE(again.granted);
  EXPECT_FALSE(again.other.has_value());
  ASSERT_OK_AND_ASSIGN(auto claims, registry_->list_claims());
  ASSERT_EQ(claims.size(), 2U);
  EXPECT_EQ(claims[0].device_name, "SEPA");
  EXPECT_EQ(to_unix(claims[0].expires), kT0 + 110);

  // Only the holder releases it; then anyone may claim it.
  ASSERT_TRUE(is_ok(registry_->release_claim("SEPA", "n2", "s1")));
  ASSERT_OK_AND_ASSIGN(ClaimResult still, registry_->claim_device(claim_of("SEPA", "n2", "s2")));
  EXPECT_FALSE(still.granted);
  ASSERT_TRUE(is_ok(registry_->release_claim("SEPA", "n1", "s1")));
  ASSERT_OK_AND_ASSIGN(ClaimResult freed, registry_->claim_device(claim_of("SEPA", "n2", "s2")));
  EXPECT_TRUE(freed.granted);
  EXPECT_FALSE(freed.other.has_value());
}

TEST_P(RegistryConformance, AnExpiredClaimIsTakenOverAndNamedAsInterrupted) {
  ASSERT_TRUE(is_ok(registry_->claim_device(claim_of("SEPA", "dead", "s1", kT0, 60))));
  // At its expiry exactly it still holds; one second later it does not.
  ASSERT_OK_AND_ASSIGN(ClaimResult at_expiry,
                       registry_->claim_device(claim_of("SEPA", "n2", "s2", kT0 + 60)));
  EXPECT_FALSE(at_expiry.granted);
  ASSERT_OK_AND_ASSIGN(ClaimResult after,
                       registry_->claim_device(claim_of("SEPA", "n2", "s2", kT0 + 61)));
  EXPECT_TRUE(after.granted);
  ASSERT_TRUE(after.other.has_value());
  EXPECT_EQ(after.other->node, "dead");
  EXPECT_EQ(after.other->session, "s1");
  EXPECT_EQ(to_unix(after.other->claimed), kT0);
  // The dead node's late release does not free the new holder's claim.
  ASSERT_TRUE(is_ok(registry_->release_claim("SEPA", "dead", "s1")));
  ASSERT_OK_AND_ASSIGN(auto claims, registry_->list_claims());
  ASSERT_EQ(claims.size(), 1U);
  EXPECT_EQ(claims[0].node, "n2");
}

TEST_P(RegistryConformance, ANodeRenewsAndEndsOnlyItsOwnClaims) {
  ASSERT_TRUE(is_ok(registry_->claim_device(claim_of("SEPA", "n1", "s1"))));
  ASSERT_TRUE(is_ok(registry_->claim_device(claim_of("SEPB", "n1", "s2"))));
  ASSERT_TRUE(is_ok(registry_->claim_device(claim_of("SEPC", "n2", "s1"))));

  ASSERT_OK_AND_ASSIGN(std::int64_t held,
                       registry_->extend_node_claims("n1", from_unix(kT0 + 500)));
  EXPECT_EQ(held, 2);
  ASSERT_OK_AND_ASSIGN(std::int64_t none,
                       registry_->extend_node_claims("n3", from_unix(kT0 + 500)));
  EXPECT_EQ(none, 0);
  // Renewed: still held long after the first lease.
  ASSERT_OK_AND_ASSIGN(ClaimResult later,
                       registry_->claim_device(claim_of("SEPA", "n2", "s7", kT0 + 400)));
  EXPECT_FALSE(later.granted);
  // n2's claim was not renewed: taken over at kT0 + 400.
  ASSERT_OK_AND_ASSIGN(ClaimResult lapsed,
                       registry_->claim_device(claim_of("SEPC", "n3", "s1", kT0 + 400)));
  EXPECT_TRUE(lapsed.granted);

  ASSERT_OK_AND_ASSIGN(auto released, registry_->release_node_claims("n1"));
  ASSERT_EQ(released.size(), 2U);
  EXPECT_EQ(released[0].device_name, "SEPA");
  EXPECT_EQ(released[0].session, "s1");
  EXPECT_EQ(released[1].device_name, "SEPB");
  ASSERT_OK_AND_ASSIGN(auto left, registry_->list_claims());
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left[0].node, "n3");
  ASSERT_OK_AND_ASSIGN(auto again, registry_->release_node_claims("n1"));
  EXPECT_TRUE(again.empty());
}

TEST_P(RegistryConformance, OnlyTheSessionHoldingAClaimRenewsIt) {
  auto renews = [&](const std::string& device, const std::string& node, const std::string& session,
                    std::int64_t until) {
    auto r = registry_->renew_claim(device, node, session, from_unix(until));
    EXPECT_TRUE(is_ok(r));
    return r && *r;
  };
  auto n2_claims_at = [&](std::int64_t at) {
    auto r = registry_->claim_device(claim_of("SEPA", "n2", "s9", at));
    EXPECT_TRUE(is_ok(r));
    return r && r->granted;
  };
  ASSERT_TRUE(is_ok(registry_->claim_device(claim_of("SEPA", "n1", "s1"))));
  EXPECT_TRUE(renews("SEPA", "n1", "s1", kT0 + 500));
  EXPECT_FALSE(renews("SEPA", "n2", "s1", kT0 + 900));
  EXPECT_FALSE(renews("SEPB", "n1", "s1", kT0 + 900));
  // Renewed to kT0 + 500: still held at kT0 + 400, taken over at kT0 + 501.
  EXPECT_FALSE(n2_claims_at(kT0 + 400));
  EXPECT_TRUE(n2_claims_at(kT0 + 501));
  EXPECT_FALSE(renews("SEPA", "n1", "s1", kT0 + 900));
  ASSERT_OK_AND_ASSIGN(auto held, registry_->list_claims());
  ASSERT_EQ(held.size(), 1U);
  EXPECT_EQ(held[0].node, "n2");
  EXPECT_EQ(held[0].expires, from_unix(kT0 + 561));
  ASSERT_TRUE(is_ok(registry_->release_claim("SEPA", "n2", "s9")));
  EXPECT_FALSE(renews("SEPA", "n2", "s9", kT0 + 900));
}

TEST_P(RegistryConformance, AnUnsyncedTransactionIsAtomicAndOtherConnectionsSeeIt) {
  std::unique_ptr<Registry> other = open_another();
  ASSERT_NE(other, nullptr);
  const DeviceEvent event{"SEPU", from_unix(kT0), "s1", "claim", "unsynced"};
  ASSERT_TRUE(is_ok(registry_->transact_unsynced([&]() -> Status {
    CAPF_TRY(registry_->claim_device(claim_of("SEPU", "n1", "s1")));
    return registry_->append_event(event);
  })));
  ASSERT_OK_AND_ASSIGN(auto claims, other->list_claims());
  EXPECT_EQ(claims.size(), 1U);
  ASSERT_OK_AND_ASSIGN(auto events, other->device_events("SEPU", 10));
  EXPECT_EQ(events.size(), 1U);

  Status failed = registry_->transact_unsynced([&]() -> Status {
    CAPF_TRY(registry_->release_claim("SEPU", "n1", "s1"));
    CAPF_TRY(registry_->append_event(event));
    return make_error(ErrorCode::kConflict, "undone");
  });
  EXPECT_TRUE(is_error(failed, ErrorCode::kConflict));
  ASSERT_OK_AND_ASSIGN(claims, other->list_claims());
  EXPECT_EQ(claims.size(), 1U);
  ASSERT_OK_AND_ASSIGN(events, other->device_events("SEPU", 10));
  EXPECT_EQ(events.size(), 1U);

  // A synced write after it commits as before.
  ASSERT_TRUE(is_ok(registry_->append_event(event)));
  ASSERT_OK_AND_ASSIGN(events, other->device_events("SEPU", 10));
  EXPECT_EQ(events.size(), 2U);
}

TEST_P(RegistryConformance, RacingSessionsOnSeparateConnectionsGetOneClaim) {
  constexpr int kRacers = 6;
  std::vector<std::unique_ptr<Registry>> nodes;
  for (int i = 0; i < kRacers; ++i) {
    nodes.push_back(open_another());
    ASSERT_NE(nodes.back(), nullptr);
  }
  for (int round = 0; round < 5; ++round) {
    const std::string device = "SEPRACE" + std::to_string(round);
    std::atomic<int> granted{0};
    std::atomic<int> errors{0};
    std::latch start(kRacers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kRacers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto r = nodes[i]->claim_device(claim_of(device, "n" + std::to_string(i), "s"));
        if (!r)
          ++errors;
        else if (r->granted)
          ++granted;
      });
    }
    for (auto& t : threads)
      t.join();
    EXPECT_EQ(errors.load(), 0) << device;
    EXPECT_EQ(granted.load(), 1) << device;
  }
}

TEST_P(RegistryConformance, HeartbeatsReplaceANodesRowAndOldOnesAreLeftOut) {
  NodeHeartbeat a{.node = "capf-a",
                  .version = "1.0",
                  .listen = "0.0.0.0:3804",
                  .sessions = 3,
                  .started = from_unix(kT0 - 100),
                  .seen = from_unix(kT0)};
  NodeHeartbeat b = a;
  b.node = "capf-b";
  b.seen = from_unix(kT0 - 120);
  ASSERT_TRUE(is_ok(registry_->heartbeat(a)));
  ASSERT_TRUE(is_ok(registry_->heartbeat(b)));
  a.sessions = 7;
  a.seen = from_unix(kT0 + 10);
  ASSERT_TRUE(is_ok(open_another()->heartbeat(a)));

  ASSERT_OK_AND_ASSIGN(auto recent, registry_->list_nodes(from_unix(kT0 - 60)));
  ASSERT_EQ(recent.size(), 1U);
  EXPECT_EQ(recent[0].node, "capf-a");
  EXPECT_EQ(recent[0].sessions, 7);
  EXPECT_EQ(recent[0].version, "1.0");
  EXPECT_EQ(recent[0].listen, "0.0.0.0:3804");
  EXPECT_EQ(to_unix(recent[0].started), kT0 - 100);
  EXPECT_EQ(to_unix(recent[0].seen), kT0 + 10);
  ASSERT_OK_AND_ASSIGN(auto all, registry_->list_nodes(from_unix(0)));
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[1].node, "capf-b");
}

TEST_P(RegistryConformance, ASettingChangesOnlyFromTheVersionItWasReadAt) {
  ASSERT_OK_AND_ASSIGN(auto none, registry_->find_setting("issuer"));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(std::int64_t v1, registry_->put_setting("issuer", "{\"mode\":\"capf\"}", 0));
  EXPECT_EQ(v1, 1);
  // Creating it again, or changing it from a version it no longer has, is a conflict that
  // changes nothing.
  for (std::int64_t stale : {0, 2, 5}) {
    EXPECT_TRUE(is_error(registry_->put_setting("issuer", "lost", stale), ErrorCode::kConflict))
        << stale;
  }
  ASSERT_OK_AND_ASSIGN(std::int64_t v2,
                       open_another()->put_setting("issuer", "{\"mode\":\"online\"}", 1));
  EXPECT_EQ(v2, 2);
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(is_ok(registry_->put_setting("capf.identity", "{}", 0)));

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_setting("issuer"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->value, "{\"mode\":\"online\"}");
  EXPECT_EQ(found->version, 2);
  EXPECT_EQ(to_unix(found->updated), kT0);
  ASSERT_OK_AND_ASSIGN(auto all, registry_->list_settings());
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].name, "capf.identity");
  EXPECT_EQ(to_unix(all[0].updated), kT0 + 5);
  EXPECT_EQ(all[1].name, "issuer");
}

TEST_P(RegistryConformance, RacingSettingWritersFromOneVersionHaveOneWinner) {
  ASSERT_TRUE(is_ok(registry_->put_setting("capf.identity", "v1", 0)));
  constexpr int kRacers = 5;
  std::vector<std::unique_ptr<Registry>> nodes;
  for (int i = 0; i < kRacers; ++i)
    nodes.push_back(open_another());
  std::atomic<int> won{0};
  std::atomic<int> conflicts{0};
  std::latch start(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = nodes[i]->put_setting("capf.identity", "from " + std::to_string(i), 1);
      if (r)
        ++won;
      else if (r.error().code == ErrorCode::kConflict)
        ++conflicts;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflicts.load(), kRacers - 1);
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_setting("capf.identity"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->version, 2);
}

}  // namespace
}  // namespace capf::testing
