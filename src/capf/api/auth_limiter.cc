#include "capf/api/auth_limiter.h"

#include <algorithm>

namespace capf::api {

std::optional<std::chrono::seconds> AuthFailureLimiter::blocked_for(const std::string& client) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second.failures < limit_) {
    return std::nullopt;
  }
  const TimePoint end = it->second.start + window_;
  const TimePoint now = clock_.now();
  if (now >= end) {
    clients_.erase(it);
    return std::nullopt;
  }
  auto left = std::chrono::ceil<std::chrono::seconds>(end - now);
  return std::max(left, std::chrono::seconds(1));
}

void AuthFailureLimiter::record_failure(const std::string& client) {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.now();
  auto it = clients_.find(client);
  if (it != clients_.end() && now >= it->second.start + window_) {
    clients_.erase(it);
    it = clients_.end();
  }
  if (it == clients_.end()) {
    if (clients_.size() >= max_clients_) {
      make_room(now);
    }
    it = clients_.emplace(client, Window{now, 0}).first;
  }
  ++it->second.failures;
}

void AuthFailureLimiter::make_room(TimePoint now) {
  std::erase_if(clients_, [&](const auto& entry) { return now >= entry.second.start + window_; });
  if (clients_.size() < max_clients_) {
    return;
  }
  auto oldest = std::min_element(
      clients_.begin(), clients_.end(),
      [](const auto& a, const auto& b) { return a.second.start < b.second.start; });
  clients_.erase(oldest);
}

}  // namespace capf::api
