// AdmissionGate: at most `limit` holders at once; the others wait in arrival order, each until its
// own deadline, without holding a thread (a waiting coroutine is a timer). The phone server keeps
// one per CA ([issuer] max_in_flight, docs/configuration.md) so that a slow CA holds sessions in
// line instead of threads. AdmissionGates is the set of them, by name, with their counters for
// /metrics. Thread-safe; enter() must be awaited on a strand (or a one-thread io_context), as
// phone sessions run.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace capf {

class AdmissionGate : public std::enable_shared_from_this<AdmissionGate> {
 public:
  // A place inside the gate, given back when destroyed (or release()d). Empty: not admitted.
  class Permit {
   public:
    Permit() = default;
    explicit Permit(std::shared_ptr<AdmissionGate> gate) : gate_(std::move(gate)) {}
    Permit(Permit&& other) noexcept = default;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }
    explicit operator bool() const { return gate_ != nullptr; }
    void release();

   private:
    std::shared_ptr<AdmissionGate> gate_;
  };

  // `limit` at least 1. Make it with std::make_shared (permits keep it alive).
  explicit AdmissionGate(int limit);

  // A permit at once when there is room and nobody waits; otherwise waits behind the earlier
  // waiters until a holder leaves or `deadline` passes (then an empty permit, and the waiter is
  // out of the line).
  boost::asio::awaitable<Permit> enter(std::chrono::steady_clock::time_point deadline);

  int limit() const { return limit_; }
  int in_flight() const;
  int queued() const;

 private:
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool admitted = false;  // under mu_: a leaving holder passed its place to this waiter
  };
  // A holder leaves: its place goes to the first waiter, or back to the free places.
  void leave();

  const int limit_;
  mutable std::mutex mu_;
  int in_flight_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

// Counters of one gate, for /metrics.
struct GateLoad {
  std::string name;
  int limit = 0;
  int in_flight = 0;
  int queued = 0;
};

// One gate per name (per CA), each with the same limit, made on first use. Thread-safe.
class AdmissionGates {
 public:
  explicit AdmissionGates(int limit) : limit_(limit) {}
  std::shared_ptr<AdmissionGate> gate(const std::string& name);
  // Every gate made so far, by name.
  std::vector<GateLoad> load() const;

 private:
  const int limit_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<AdmissionGate>> gates_;
};

}  // namespace capf
