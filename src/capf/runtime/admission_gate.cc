#include "capf/runtime/admission_gate.h"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace capf {

namespace asio = boost::asio;

AdmissionGate::Permit& AdmissionGate::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    gate_ = std::move(other.gate_);
  }
  return *this;
}

void AdmissionGate::Permit::release() {
  if (gate_) {
    gate_->leave();
    gate_.reset();
  }
}

AdmissionGate::AdmissionGate(int limit) : limit_(limit) {
  if (limit < 1)
    throw std::invalid_argument("an admission gate needs a limit of at least 1");
}

int AdmissionGate::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

int AdmissionGate::queued() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(waiters_.size());
}

asio::awaitable<AdmissionGate::Permit> AdmissionGate::enter(
    std::chrono::steady_clock::time_point deadline) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  bool admitted = false;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty() && in_flight_ < limit_) {
      ++in_flight_;
      admitted = true;
    } else {
      waiters_.push_back(waiter);
    }
  }
  if (!admitted) {
    // Woken early (cancelled) by leave() when admitted; otherwise at the deadline.
    waiter->timer.expires_at(deadline);
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::lock_guard lock(mu_);
    admitted = waiter->admitted;
    if (!admitted)
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
  }
  if (!admitted)
    co_return Permit();
  co_return Permit(shared_from_this());
}

void AdmissionGate::leave() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      --in_flight_;
    } else {
      next = std::move(waiters_.front());
      waiters_.pop_front();
      next->admitted = true;  // the place passes on: in_flight_ stays
    }
  }
  if (next) {
    // The timer belongs to the waiter's strand: wake it there.
    auto ex = next->timer.get_executor();
    asio::post(ex, [next = std::move(next)] { next->timer.cancel(); });
  }
}

std::shared_ptr<AdmissionGate> AdmissionGates::gate(const std::string& name) {
  std::lock_guard lock(mu_);
  auto& gate = gates_[name];
  if (!gate)
    gate = std::make_shared<AdmissionGate>(limit_);
  return gate;
}

std::vector<GateLoad> AdmissionGates::load() const {
  std::lock_guard lock(mu_);
  std::vector<GateLoad> out;
  for (const auto& [name, gate] : gates_)
    out.push_back(GateLoad{name, gate->limit(), gate->in_flight(), gate->queued()});
  return out;
}

}  // namespace capf
