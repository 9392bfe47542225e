#include "capf/runtime/asio_runtime.h"

#include <algorithm>

#include <boost/asio/executor_work_guard.hpp>

namespace capf {

AsioRuntime::AsioRuntime(int worker_threads, int io_concurrency_hint, int waiting_threads,
                         bool disk_thread)
    : workers_(static_cast<std::size_t>(std::max(1, worker_threads))),
      waiting_(waiting_threads > 0 ? std::make_unique<boost::asio::thread_pool>(
                                         static_cast<std::size_t>(waiting_threads))
                                   : nullptr),
      disk_(disk_thread ? std::make_unique<boost::asio::thread_pool>(1) : nullptr),
      io_(io_concurrency_hint) {}

AsioRuntime::~AsioRuntime() {
  stop([] {}, [] { return false; });
}

void AsioRuntime::start(int io_threads) {
  {
    std::lock_guard lock(state_mu_);
    running_ = true;
  }
  for (int i = 0; i < std::max(1, io_threads); ++i) {
    threads_.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
}

void AsioRuntime::stop(const std::function<void()>& close, const std::function<bool()>& busy,
                       std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(state_mu_);
    if (!running_ || stopped_)
      return;
    stopped_ = true;
  }
  close();
  constexpr auto kStep = std::chrono::milliseconds(10);
  for (auto waited = std::chrono::milliseconds(0); waited < grace && busy(); waited += kStep)
    std::this_thread::sleep_for(kStep);
  workers_.join();
  if (waiting_)
    waiting_->join();
  if (disk_)
    disk_->join();
  io_.stop();
  for (auto& t : threads_) {
    if (t.joinable())
      t.join();
  }
  {
    std::lock_guard lock(state_mu_);
    running_ = false;
  }
  stopped_cv_.notify_all();
}

void AsioRuntime::wait() {
  std::unique_lock lock(state_mu_);
  stopped_cv_.wait(lock, [this] { return !running_; });
}

}  // namespace capf
