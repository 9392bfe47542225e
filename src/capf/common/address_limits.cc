#include "capf/common/address_limits.h"

namespace capf {

AddressLimits::Lease& AddressLimits::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    address_ = std::move(other.address_);
    other.owner_ = nullptr;
  }
  return *this;
}

void AddressLimits::Lease::release() {
  if (owner_ != nullptr) {
    owner_->give_back(address_);
    owner_ = nullptr;
  }
}

AddressLimits::Lease AddressLimits::try_acquire(const std::string& address, bool count_refusal) {
  std::lock_guard lock(mu_);
  int& count = held_[address];
  if (limit_ > 0 && count >= limit_) {
    if (count_refusal)
      note_refusal();
    return Lease();
  }
  ++count;
  return Lease(this, address);
}

int AddressLimits::held(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(address);
  return it == held_.end() ? 0 : it->second;
}

void AddressLimits::give_back(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = held_.find(address);
  if (it != held_.end() && --it->second <= 0) {
    held_.erase(it);  // forget addresses that hold nothing: the map cannot grow without bound
  }
}

}  // namespace capf
