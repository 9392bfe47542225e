#include "capf/runtime/asio_runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <utility>  // before Asio's awaitable.hpp (Boost 1.74)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "capf/runtime/run_blocking.h"

namespace capf {
namespace {

namespace asio = boost::asio;

TEST(AsioRuntime, RunBlockingRunsOnTheWorkersAndResumesOnTheCallersStrand) {
  AsioRuntime runtime(2);
  runtime.start(2);
  auto strand = asio::make_strand(runtime.io());
  std::promise<std::pair<int, bool>> done;
  std::thread::id worker_thread;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        int value = co_await run_blocking(runtime.workers(), [&worker_thread] {
          worker_thread = std::this_thread::get_id();
          return 42;
        });
        done.set_value({value, strand.running_in_this_thread()});
      },
      asio::detached);
  auto [value, on_strand] = done.get_future().get();
  EXPECT_EQ(value, 42);
  EXPECT_TRUE(on_strand);
  EXPECT_NE(worker_thread, std::this_thread::get_id());
  runtime.stop([] {}, [] { return false; });
}

TEST(AsioRuntime, StopClosesOnceWaitsForBusyWorkAndReleasesWaiters) {
  AsioRuntime runtime(1);
  runtime.start(1);
  std::atomic<int> closes{0};
  std::atomic<bool> busy{true};
  std::atomic<bool> work_done{false};
  asio::post(runtime.workers(), [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    work_done = true;
  });
  auto waiter = std::async(std::launch::async, [&] { runtime.wait(); });
  auto close = [&] {
    ++closes;
    asio::post(runtime.io(), [&] { busy = false; });  // what a server's close makes happen
  };
  runtime.stop(close, [&] { return busy.load(); });
  EXPECT_EQ(closes.load(), 1);
  EXPECT_FALSE(busy.load());
  EXPECT_TRUE(work_done.load());  // the worker pool finished before stop() returned
  EXPECT_EQ(waiter.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  runtime.stop(close, [] { return false; });  // idempotent
  EXPECT_EQ(closes.load(), 1);
}

TEST(AsioRuntime, StopGivesUpOnBusyWorkAfterTheGracePeriod) {
  AsioRuntime runtime(1);
  runtime.start(1);
  const auto begin = std::chrono::steady_clock::now();
  runtime.stop([] {}, [] { return true; }, std::chrono::milliseconds(100));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(100));
}

TEST(AsioRuntime, StopBeforeStartDoesNothing) {
  AsioRuntime runtime(1);
  int closes = 0;
  runtime.stop([&] { ++closes; }, [] { return false; });
  runtime.wait();  // not running: returns at once
  EXPECT_EQ(closes, 0);
}

// The pools for network and disk waits exist only where they are asked for (the phone server):
// the admin API's runtime has no idle threads.
TEST(AsioRuntime, TheWaitingPoolsAreMadeOnlyWhenAskedFor) {
  AsioRuntime plain(1);
  EXPECT_EQ(plain.waiting(), nullptr);
  EXPECT_EQ(plain.disk(), nullptr);
  AsioRuntime phones(1, BOOST_ASIO_CONCURRENCY_HINT_DEFAULT, 4, /*disk_thread=*/true);
  ASSERT_NE(phones.waiting(), nullptr);
  ASSERT_NE(phones.disk(), nullptr);
  std::promise<std::thread::id> ran;
  boost::asio::post(*phones.disk(), [&] { ran.set_value(std::this_thread::get_id()); });
  EXPECT_NE(ran.get_future().get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace capf
