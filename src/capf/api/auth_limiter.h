// AuthFailureLimiter: counts failed authentications per client address in one-minute windows; an
// address past the limit is refused (429) until its window ends. Bounded: it remembers at most
// `max_clients` addresses, forgetting finished windows first, then the oldest. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "capf/common/clock.h"

namespace capf::api {

class AuthFailureLimiter {
 public:
  AuthFailureLimiter(const Clock& clock, int failures_per_window,
                     std::chrono::seconds window = std::chrono::seconds(60),
                     std::size_t max_clients = 10000)
      : clock_(clock), limit_(failures_per_window), window_(window), max_clients_(max_clients) {}

  // When the client is over its limit: how long until it may try again. nullopt otherwise.
  std::optional<std::chrono::seconds> blocked_for(const std::string& client);
  void record_failure(const std::string& client);

 private:
  struct Window {
    TimePoint start;
    int failures = 0;
  };
  void make_room(TimePoint now);

  const Clock& clock_;
  const int limit_;
  const std::chrono::seconds window_;
  const std::size_t max_clients_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> clients_;
};

}  // namespace capf::api
