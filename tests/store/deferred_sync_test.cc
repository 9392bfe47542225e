// Deferred durability (store/deferred_sync.h, SqlRegistry::wait_durable): a synced write inside a
// DeferredSync commits without waiting for the disk and leaves a ticket; one sync of the WAL then
// covers every commit made before it, however many sessions wait; a synced commit covers the
// deferred ones before it; a registry without fsync hands out no ticket; a sync the disk refuses
// is an error and nothing counts as durable. SQLite on disk with synchronous=FULL, as the server
// runs it.
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "capf/store/deferred_sync.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/support/result_matchers.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

class DeferredSyncTest : public ::testing::Test {
 protected:
  void open(bool fsync) {
    auto opened = SqliteRegistry::open(db_path().string(), clock_,
                                       {.synchronous_full = fsync, .busy_timeout_ms = 5000});
    ASSERT_TRUE(opened) << opened.error().message;
    registry_ = std::move(*opened);
  }
  std::filesystem::path db_path() const { return dir_.path() / "registry.db"; }

  // An event written in a transaction of its own, inside a DeferredSync: its ticket.
  std::uint64_t deferred_event(const std::string& detail) {
    DeferredSync scope;
    Status s = registry_->append_event(DeviceEvent{"SEP1", clock_.now(), "s", "status", detail});
    EXPECT_TRUE(s) << s.error().message;
    return scope.ticket();
  }
  std::size_t events() {
    auto all = registry_->device_events("SEP1", 1000);
    EXPECT_TRUE(all) << all.error().message;
    return all ? all->size() : 0;
  }

  FakeClock clock_{from_unix(1'750'000'000)};
  TempDir dir_;
  std::unique_ptr<SqliteRegistry> registry_;
};

TEST_F(DeferredSyncTest, OneSyncCoversEveryCommitMadeBeforeItHoweverManyWait) {
  ASSERT_NO_FATAL_FAILURE(open(true));
  const auto before = registry_->write_stats();
  constexpr int kSessions = 8;
  std::vector<std::uint64_t> tickets;
  for (int i = 0; i < kSessions; ++i)
    tickets.push_back(deferred_event(std::to_string(i)));
  for (int i = 1; i < kSessions; ++i)
    EXPECT_GT(tickets[i], tickets[i - 1]);
  const auto committed = registry_->write_stats();
  EXPECT_EQ(committed.deferred_commits - before.deferred_commits, kSessions);
  EXPECT_EQ(committed.synced_commits, before.synced_commits);  // none waited for the disk
  EXPECT_EQ(committed.log_syncs, before.log_syncs);
  EXPECT_EQ(events(), static_cast<std::size_t>(kSessions));  // committed: visible at once

  std::latch start(kSessions);
  std::vector<std::thread> waiters;
  std::vector<Status> results(kSessions, ok());
  for (int i = 0; i < kSessions; ++i) {
    waiters.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = registry_->wait_durable(tickets[i]);
    });
  }
  for (auto& t : waiters)
    t.join();
  for (const Status& r : results)
    EXPECT_TRUE(r) << r.error().message;
  EXPECT_EQ(registry_->write_stats().log_syncs - before.log_syncs, 1);
  // Known durable now: no second sync.
  EXPECT_TRUE(registry_->wait_durable(tickets.back()));
  EXPECT_EQ(registry_->write_stats().log_syncs - before.log_syncs, 1);
}

TEST_F(DeferredSyncTest, ASyncedCommitCoversTheDeferredOnesBeforeIt) {
  ASSERT_NO_FATAL_FAILURE(open(true));
  const std::uint64_t ticket = deferred_event("deferred");
  ASSERT_NE(ticket, 0u);
  const auto before = registry_->write_stats();
  ASSERT_TRUE(registry_->append_event(DeviceEvent{"SEP1", clock_.now(), "s", "status", "synced"}));
  EXPECT_EQ(registry_->write_stats().synced_commits - before.synced_commits, 1);
  EXPECT_TRUE(registry_->wait_durable(ticket));
  EXPECT_EQ(registry_->write_stats().log_syncs, before.log_syncs);
}

TEST_F(DeferredSyncTest, NothingIsDeferredWithoutFsyncOrOutsideAScope) {
  ASSERT_NO_FATAL_FAILURE(open(false));
  EXPECT_EQ(deferred_event("no fsync"), 0u);
  EXPECT_EQ(registry_->write_stats().deferred_commits, 0);
  registry_.reset();
  ASSERT_NO_FATAL_FAILURE(open(true));
  const auto before = registry_->write_stats();
  ASSERT_TRUE(registry_->append_event(DeviceEvent{"SEP1", clock_.now(), "s", "status", "plain"}));
  const auto after = registry_->write_stats();
  EXPECT_EQ(after.deferred_commits, before.deferred_commits);
  EXPECT_EQ(after.synced_commits - before.synced_commits, 1);
  EXPECT_TRUE(registry_->wait_durable(0));  // nothing to wait for
  EXPECT_EQ(registry_->write_stats().log_syncs, before.log_syncs);
}

TEST_F(DeferredSyncTest, ASyncTheRegistryCannotMakeIsAnErrorAndNothingCountsAsDurable) {
  ASSERT_NO_FATAL_FAILURE(open(true));
  const std::uint64_t ticket = deferred_event("deferred");
  ASSERT_NE(ticket, 0u);
  // The write-ahead log is gone from under the registry (the data directory was tampered with).
  std::filesystem::path wal = db_path();
  wal += "-wal";
  ASSERT_TRUE(std::filesystem::remove(wal));
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status s = registry_->wait_durable(ticket);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kDatabase);
    EXPECT_NE(s.error().message.find("write-ahead log"), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(registry_->write_stats().log_syncs, 0);
}

}  // namespace
}  // namespace capf::testing
