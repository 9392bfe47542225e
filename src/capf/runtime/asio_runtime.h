// AsioRuntime: the threads of a listener, shared by the phone server (server/capf_server.cc) and
// the admin API (api/admin_server.cc): an io_context run by N I/O threads, a worker pool for
// blocking CPU work (SQL, signing, HSM key use; see run_blocking.h), optionally a pool sized for
// work that waits on the network (the phone server's calls to an online or offline CA), optionally
// one thread that waits on the disk (phone sessions' deferred commits, store/deferred_sync.h), and
// the one stop sequence: close what is open, give running work a grace period, let blocking work
// finish, then stop and join every thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

namespace capf {

class AsioRuntime {
 public:
  // `io_concurrency_hint` as Asio's io_context takes it (1 when a single thread runs it).
  // `waiting_threads` > 0 makes the pool for network waits (waiting()); `disk_thread` the thread
  // for disk waits (disk()).
  AsioRuntime(int worker_threads, int io_concurrency_hint = BOOST_ASIO_CONCURRENCY_HINT_DEFAULT,
              int waiting_threads = 0, bool disk_thread = false);
  ~AsioRuntime();
  AsioRuntime(const AsioRuntime&) = delete;
  AsioRuntime& operator=(const AsioRuntime&) = delete;

  boost::asio::io_context& io() { return io_; }
  boost::asio::thread_pool& workers() { return workers_; }
  // The pool for blocking calls that mostly wait on the network; null without waiting_threads.
  boost::asio::thread_pool* waiting() { return waiting_.get(); }
  // One thread for waits on the disk (one sync serves every waiter, so one thread is enough);
  // null without disk_thread.
  boost::asio::thread_pool* disk() { return disk_.get(); }

  // Runs the io_context on `io_threads` threads (at least one) until stop().
  void start(int io_threads);

  // The first call after start() runs `close` (on the calling thread: post to io() what must run
  // there), waits up to `grace` while `busy()` is true, lets the pools finish their work, then
  // stops the io_context and joins the threads. Other calls return at once. Idempotent.
  void stop(const std::function<void()>& close, const std::function<bool()>& busy,
            std::chrono::milliseconds grace = std::chrono::seconds(3));

  // Blocks until stop() (from a signal handler thread or another thread) has finished.
  void wait();

 private:
  boost::asio::thread_pool workers_;
  std::unique_ptr<boost::asio::thread_pool> waiting_;
  std::unique_ptr<boost::asio::thread_pool> disk_;
  boost::asio::io_context io_;
  std::vector<std::thread> threads_;
  std::mutex state_mu_;
  std::condition_variable stopped_cv_;
  bool running_ = false;
  bool stopped_ = false;
};

}  // namespace capf
