// Group commit (SqlRegistry::write): writes that wait at the same time share one commit, each
// keeps its own result, and a failed or throwing write undoes only its own rows. SQLite on disk
// with synchronous=FULL, as the server runs it: one commit is one fsync of the WAL.
#include <atomic>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/store/registry_conformance.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

class GroupCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteRegistry::open((dir_.path() / "registry.db").string(), clock_);
    ASSERT_TRUE(is_ok(opened));
    registry_ = std::move(*opened);
  }

  // An event of `device` written in a transaction of its own.
  Status write_event(const std::string& device, const std::string& detail) {
    return registry_->append_event(DeviceEvent{device, clock_.now(), "s", "status", detail});
  }
  std::size_t events_of(const std::string& device) {
    auto events = registry_->device_events(device, 1000);
    return events ? events->size() : 0;
  }

  FakeClock clock_{from_unix(1'750'000'000)};
  TempDir dir_;
  std::unique_ptr<SqliteRegistry> registry_;
};

TEST_F(GroupCommit, ConcurrentWritesShareCommitsAndAllLand) {
  constexpr int kThreads = 8;
  constexpr int kWrites = 40;
  const auto before = registry_->write_stats();
  std::atomic<int> failed{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kWrites; ++i) {
        if (!write_event("SEP" + std::to_string(t), std::to_string(i)))
          ++failed;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failed.load(), 0);
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(events_of("SEP" + std::to_string(t)), static_cast<std::size_t>(kWrites));
  const auto after = registry_->write_stats();
  EXPECT_EQ(after.writes - before.writes, kThreads * kWrites);
  // Eight writers waiting on each other's fsync: far fewer commits than writes.
  EXPECT_LT(after.commits - before.commits, after.writes - before.writes);
  RecordProperty("writes", static_cast<int>(after.writes - before.writes));
  RecordProperty("commits", static_cast<int>(after.commits - before.commits));
}

TEST_F(GroupCommit, AFailedOrThrowingWriteInABatchUndoesOnlyItself) {
  // A first write holds the commit while three more queue behind it; they then form one batch.
  std::latch holding(1);
  std::latch release(1);
  std::thread first([&] {
    Status s = registry_->transact([&]() -> Status {
      CAPF_TRY(write_event("SEPFIRST", "1"));
      holding.count_down();
      release.wait();
      return ok();
    });
    EXPECT_TRUE(is_ok(s));
  });
  holding.wait();
  Status failed_result = ok();
  bool threw = false;
  std::vector<std::thread> queued;
  queued.emplace_back([&] { EXPECT_TRUE(is_ok(write_event("SEPGOOD", "kept"))); });
  queued.emplace_back([&] {
    failed_result = registry_->transact([&]() -> Status {
      CAPF_TRY(write_event("SEPBAD", "undone"));
      return make_error(ErrorCode::kConflict, "changed meanwhile");
    });
  });
  queued.emplace_back([&] {
    try {
      (void)registry_->transact([&]() -> Status {
        CAPF_TRY(write_event("SEPTHROW", "undone"));
        throw std::runtime_error("thrown inside");
      });
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()) == "thrown inside";
    }
  });
  for (int i = 0; i < 500 && registry_->waiting_writes() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(registry_->waiting_writes(), 3U);
  const auto before = registry_->write_stats();
  release.count_down();
  first.join();
  for (auto& thread : queued)
    thread.join();
  const auto after = registry_->write_stats();
  EXPECT_EQ(after.writes - before.writes, 4);
  EXPECT_EQ(after.commits - before.commits, 2);  // the first alone, then the three together

  EXPECT_TRUE(is_error(failed_result, ErrorCode::kConflict));
  EXPECT_TRUE(threw);
  EXPECT_EQ(events_of("SEPFIRST"), 1U);
  EXPECT_EQ(events_of("SEPGOOD"), 1U);
  EXPECT_EQ(events_of("SEPBAD"), 0U);
  EXPECT_EQ(events_of("SEPTHROW"), 0U);
}

TEST_F(GroupCommit, OnlyABatchHoldingASyncedWriteWaitsForTheDisk) {
  auto synchronous = [&] {
    auto settings = registry_->effective_settings();
    return settings ? settings->synchronous : -1;
  };
  auto before = registry_->write_stats();
  ASSERT_TRUE(is_ok(registry_->transact_unsynced([&] { return write_event("SEPLAZY", "1"); })));
  auto after = registry_->write_stats();
  EXPECT_EQ(after.commits - before.commits, 1);
  EXPECT_EQ(after.synced_commits - before.synced_commits, 0);
  EXPECT_EQ(synchronous(), 1);  // NORMAL: the WAL is not synced at that commit
  ASSERT_TRUE(is_ok(write_event("SEPSYNC", "1")));
  EXPECT_EQ(registry_->write_stats().synced_commits - after.synced_commits, 1);
  EXPECT_EQ(synchronous(), 2);  // FULL again for a synced commit

  // Behind a held commit: unsynced writes alone share an unsynced commit, and one synced write
  // makes its batch synced.
  for (const bool with_synced : {false, true}) {
    SCOPED_TRACE(with_synced ? "with a synced write" : "unsynced only");
    std::latch holding(1);
    std::latch release(1);
    std::thread first([&] {
      EXPECT_TRUE(is_ok(registry_->transact_unsynced([&]() -> Status {
        holding.count_down();
        release.wait();
        return ok();
      })));
    });
    holding.wait();
    std::vector<std::thread> queued;
    queued.emplace_back([&] {
      EXPECT_TRUE(is_ok(registry_->transact_unsynced([&] { return write_event("SEPLAZY", "2"); })));
    });
    queued.emplace_back([&] {
      EXPECT_TRUE(is_ok(
          with_synced ? write_event("SEPSYNC", "2")
                      : registry_->transact_unsynced([&] { return write_event("SEPLAZY", "3"); })));
    });
    for (int i = 0; i < 500 && registry_->waiting_writes() < 2; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(registry_->waiting_writes(), 2U);
    before = registry_->write_stats();
    release.count_down();
    first.join();
    for (auto& thread : queued)
      thread.join();
    after = registry_->write_stats();
    EXPECT_EQ(after.commits - before.commits, 2);
    EXPECT_EQ(after.synced_commits - before.synced_commits, with_synced ? 1 : 0);
  }
}

}  // namespace
}  // namespace capf::testing
