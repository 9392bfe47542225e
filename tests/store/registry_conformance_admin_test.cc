// The registry conformance suite, part three: admin API tokens and the audit log. Same fixture and
// instantiation as registry_conformance_test.cc; written against Registry only.
#include <string>
#include <vector>

#include "tests/store/registry_conformance.h"

namespace capf::testing {
namespace {

constexpr std::int64_t kT0 = 1'750'000'000;  // the fake clock's start

AdminToken make_token(std::string name, AdminRole role, char hash_digit) {
  AdminToken t;
  t.name = std::move(name);
  t.role = role;
  t.hash_hex = std::string(64, hash_digit);
  t.created = from_unix(1);  // deliberately wrong: the registry sets it
  return t;
}

AuditEntry make_entry(std::string action, std::string target) {
  AuditEntry e;
  e.actor = "cli:alice";
  e.action = std::move(action);
  e.target = std::move(target);
  e.before = R"({"operation":"none"})";
  e.after = R"({"operation":"install"})";
  return e;
}

TEST_P(RegistryConformance, TokensRoundTripAndGetIncreasingIds) {
  ASSERT_OK_AND_ASSIGN(AdminToken a,
                       registry_->insert_token(make_token("ops", AdminRole::kOperator, 'a')));
  ASSERT_OK_AND_ASSIGN(AdminToken b,
                       registry_->insert_token(make_token("root", AdminRole::kAdmin, 'b')));
  EXPECT_GT(a.id, 0);
  EXPECT_GT(b.id, a.id);
  EXPECT_EQ(to_unix(a.created), kT0);

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_token(b.id));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "root");
  EXPECT_EQ(found->role, AdminRole::kAdmin);
  EXPECT_EQ(found->hash_hex, std::string(64, 'b'));
  EXPECT_EQ(to_unix(found->created), kT0);
  EXPECT_FALSE(found->last_used.has_value());
  EXPECT_FALSE(found->revoked.has_value());

  ASSERT_OK_AND_ASSIGN(auto missing, registry_->find_token(b.id + 100));
  EXPECT_FALSE(missing.has_value());

  ASSERT_OK_AND_ASSIGN(auto all, registry_->list_tokens());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, a.id);
  EXPECT_EQ(all[1].id, b.id);
}

TEST_P(RegistryConformance, ATokensExpiryRoundTripsToTheSecondAndAbsentMeansNever) {
  AdminToken expiring = make_token("expiring", AdminRole::kViewer, '1');
  expiring.expires = from_unix(kT0 + 90 * 86400) + std::chrono::milliseconds(700);
  ASSERT_OK_AND_ASSIGN(AdminToken inserted, registry_->insert_token(expiring));
  ASSERT_TRUE(inserted.expires.has_value());
  EXPECT_EQ(*inserted.expires, from_unix(kT0 + 90 * 86400));  // whole seconds, as stored
  ASSERT_OK_AND_ASSIGN(AdminToken forever,
                       registry_->insert_token(make_token("forever", AdminRole::kViewer, '2')));
  EXPECT_FALSE(forever.expires.has_value());

  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_OK_AND_ASSIGN(auto found, other->find_token(inserted.id));
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->expires.has_value());
  EXPECT_EQ(*found->expires, from_unix(kT0 + 90 * 86400));
  ASSERT_OK_AND_ASSIGN(auto all, other->list_tokens());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].expires, inserted.expires);
  EXPECT_FALSE(all[1].expires.has_value());
  // Revoking and touching leave the expiry alone.
  ASSERT_TRUE(is_ok(registry_->revoke_token(inserted.id)));
  ASSERT_TRUE(is_ok(registry_->touch_token(inserted.id, from_unix(kT0 + 1))));
  ASSERT_OK_AND_ASSIGN(found, registry_->find_token(inserted.id));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->expires, inserted.expires);
}

TEST_P(RegistryConformance, ATokenHashIsStoredOnce) {
  ASSERT_TRUE(is_ok(registry_->insert_token(make_token("one", AdminRole::kViewer, 'c'))));
  EXPECT_TRUE(is_error(registry_->insert_token(make_token("two", AdminRole::kAdmin, 'c')),
                       ErrorCode::kAlreadyExists));
}

TEST_P(RegistryConformance, ATokenNeedsAHashAndAName) {
  AdminToken short_hash = make_token("x", AdminRole::kViewer, 'd');
  short_hash.hash_hex = "abcd";
  EXPECT_TRUE(is_error(registry_->insert_token(short_hash), ErrorCode::kInvalidArgument));
  AdminToken upper = make_token("x", AdminRole::kViewer, 'D');
  EXPECT_TRUE(is_error(registry_->insert_token(upper), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(is_error(registry_->insert_token(make_token("", AdminRole::kViewer, 'd')),
                       ErrorCode::kInvalidArgument));
}

TEST_P(RegistryConformance, RevokingKeepsTheFirstTimeAndUnknownIsNotFound) {
  ASSERT_OK_AND_ASSIGN(AdminToken t,
                       registry_->insert_token(make_token("ops", AdminRole::kOperator, 'e')));
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(is_ok(registry_->revoke_token(t.id)));
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(is_ok(registry_->revoke_token(t.id)));
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_token(t.id));
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->revoked.has_value());
  EXPECT_EQ(to_unix(*found->revoked), kT0 + 5);
  EXPECT_TRUE(is_error(registry_->revoke_token(t.id + 100), ErrorCode::kNotFound));
}

TEST_P(RegistryConformance, TouchingATokenRecordsItsLastUse) {
  ASSERT_OK_AND_ASSIGN(AdminToken t,
                       registry_->insert_token(make_token("ops", AdminRole::kOperator, 'f')));
  ASSERT_TRUE(is_ok(registry_->touch_token(t.id, from_unix(kT0 + 42))));
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_OK_AND_ASSIGN(auto found, other->find_token(t.id));
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->last_used.has_value());
  EXPECT_EQ(to_unix(*found->last_used), kT0 + 42);
  EXPECT_TRUE(is_error(registry_->touch_token(t.id + 100, from_unix(kT0)), ErrorCode::kNotFound));
}

TEST_P(RegistryConformance, AuditEntriesComeBackNewestFirstWithEveryField) {
  ASSERT_OK_AND_ASSIGN(std::int64_t first,
                       registry_->append_audit(make_entry("device.set", "SEP001122334455")));
  clock_.advance(std::chrono::seconds(3));
  AuditEntry removal = make_entry("device.remove", "SEP001122334455");
  removal.after = "";
  ASSERT_OK_AND_ASSIGN(std::int64_t second, registry_->append_audit(removal));
  EXPECT_GT(second, first);

  ASSERT_OK_AND_ASSIGN(auto entries, registry_->list_audit(AuditFilter{}));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, second);
  EXPECT_EQ(entries[0].action, "device.remove");
  EXPECT_EQ(entries[0].after, "");
  EXPECT_EQ(to_unix(entries[0].time), kT0 + 3);
  EXPECT_EQ(entries[1].id, first);
  EXPECT_EQ(entries[1].actor, "cli:alice");
  EXPECT_EQ(entries[1].action, "device.set");
  EXPECT_EQ(entries[1].target, "SEP001122334455");
  EXPECT_EQ(entries[1].before, R"({"operation":"none"})");
  EXPECT_EQ(entries[1].after, R"({"operation":"install"})");
  EXPECT_EQ(to_unix(entries[1].time), kT0);
}

TEST_P(RegistryConformance, AuditFiltersAndPagesByTargetActorAndId) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    AuditEntry e = make_entry("device.set", i % 2 == 0 ? "SEP0000000000AA" : "SEP0000000000BB");
    e.actor = i < 3 ? "cli:alice" : "token:1:ops";
    ASSERT_OK_AND_ASSIGN(std::int64_t id, registry_->append_audit(e));
    ids.push_back(id);
  }
  AuditFilter by_target;
  by_target.target = "SEP0000000000AA";
  ASSERT_OK_AND_ASSIGN(auto a, registry_->list_audit(by_target));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].id, ids[4]);
  EXPECT_EQ(a[2].id, ids[0]);

  AuditFilter by_actor;
  by_actor.actor = "token:1:ops";
  ASSERT_OK_AND_ASSIGN(auto b, registry_->list_audit(by_actor));
  EXPECT_EQ(b.size(), 2u);

  AuditFilter page;
  page.limit = 2;
  ASSERT_OK_AND_ASSIGN(auto p1, registry_->list_audit(page));
  ASSERT_EQ(p1.size(), 2u);
  page.before_id = p1.back().id;
  ASSERT_OK_AND_ASSIGN(auto p2, registry_->list_audit(page));
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[0].id, ids[2]);
  EXPECT_EQ(p2[1].id, ids[1]);
}

TEST_P(RegistryConformance, AnAuditEntryRollsBackWithItsTransaction) {
  Status failed = registry_->transact([&]() -> Status {
    CAPF_TRY(registry_->append_audit(make_entry("device.set", "SEP001122334455")));
    return make_error(ErrorCode::kConflict, "the change failed");
  });
  EXPECT_FALSE(failed);
  ASSERT_OK_AND_ASSIGN(auto entries, registry_->list_audit(AuditFilter{}));
  EXPECT_TRUE(entries.empty());
}

}  // namespace
}  // namespace capf::testing
