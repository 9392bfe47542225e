// SessionMetrics: counters of the phone path for /metrics, kept by the enrollment service:
// finished sessions by operation and result, sessions refused because another session held the
// device (busy), issuer calls (the CAPF's own signing or an external CA) by mode and result with
// their latency. Thread-safe; recording takes one short lock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "capf/domain/device.h"

namespace capf {

class SessionMetrics {
 public:
  // A session that ended with `status` for `operation`.
  void record_session(Operation operation, const OperationStatus& status);
  // A session ended busy: another session held the device's claim (docs/cluster.md).
  void record_busy();
  // One call to the issuer (`mode`: "capf", "online", "offline"); `ok` false when it failed.
  void record_issuer_call(std::string_view mode, bool ok, std::chrono::steady_clock::duration took);
  // The counters in Prometheus text format (with HELP and TYPE lines).
  std::string prometheus_text() const;

 private:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
  static constexpr std::array<double, 10> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,  1,     2.5,  10};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};  // not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> sessions_;  // (operation, result)
  std::uint64_t busy_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> issuer_calls_;  // (mode, result)
  std::map<std::string, Histogram> issuer_latency_;                            // by mode
};

}  // namespace capf
