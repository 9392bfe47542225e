// AddressLimits: how many of something (open connections, TLS handshakes in progress) one source
// address may hold at once, so that one host cannot take every slot of a listener and lock the
// others out. A slot is held by a Lease and given back when the lease ends. Thread-safe; the
// AddressLimits must outlive its leases.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace capf {

class AddressLimits {
 public:
  // `per_address` slots for each address; 0 means no limit (every acquire succeeds).
  explicit AddressLimits(int per_address) : limit_(per_address) {}
  AddressLimits(const AddressLimits&) = delete;
  AddressLimits& operator=(const AddressLimits&) = delete;

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(); }

    // True when the lease holds a slot.
    explicit operator bool() const { return owner_ != nullptr; }
    // Gives the slot back now (idempotent).
    void release();

   private:
    friend class AddressLimits;
    Lease(AddressLimits* owner, std::string address)
        : owner_(owner), address_(std::move(address)) {}
    AddressLimits* owner_ = nullptr;
    std::string address_;
  };

  // A lease holding one of `address`'s slots, or an empty lease when the address already holds
  // all of them (counted as a refusal unless `count_refusal` is false: a caller that waits and
  // tries again counts once, with note_refusal, when it gives up).
  Lease try_acquire(const std::string& address, bool count_refusal = true);
  void note_refusal() { refused_.fetch_add(1, std::memory_order_relaxed); }

  int limit() const { return limit_; }
  // Slots `address` holds now.
  int held(const std::string& address) const;
  // Acquires refused so far.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  void give_back(const std::string& address);

  const int limit_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> held_;  // only addresses holding a slot: bounded by them
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace capf
