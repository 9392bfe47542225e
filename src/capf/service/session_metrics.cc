#include "capf/service/session_metrics.h"

#include <fmt/format.h>

#include "capf/store/stored_values.h"

namespace capf {

void SessionMetrics::record_session(Operation operation, const OperationStatus& status) {
  std::lock_guard lock(mu_);
  ++sessions_[{std::string(short_name(operation)), std::string(stored_name(status.kind))}];
}

void SessionMetrics::record_busy() {
  std::lock_guard lock(mu_);
  ++busy_;
}

void SessionMetrics::record_issuer_call(std::string_view mode, bool ok,
                                        std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  ++issuer_calls_[{std::string(mode), ok ? "ok" : "error"}];
  Histogram& h = issuer_latency_[std::string(mode)];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

std::string SessionMetrics::prometheus_text() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP opencapf_sessions_total Finished phone sessions by operation and result.\n";
  out += "# TYPE opencapf_sessions_total counter\n";
  for (const auto& [key, n] : sessions_) {
    out += fmt::format("opencapf_sessions_total{{operation=\"{}\",result=\"{}\"}} {}\n", key.first,
                       key.second, n);
  }
  out +=
      "# HELP opencapf_sessions_busy_total Phone sessions ended as busy (END_SESSION 7) because "
      "another session held the device's claim.\n";
  out += "# TYPE opencapf_sessions_busy_total counter\n";
  out += fmt::format("opencapf_sessions_busy_total {}\n", busy_);
  out +=
      "# HELP opencapf_issuer_calls_total Certificate issuance calls by issuer mode and result.\n";
  out += "# TYPE opencapf_issuer_calls_total counter\n";
  for (const auto& [key, n] : issuer_calls_) {
    out += fmt::format("opencapf_issuer_calls_total{{mode=\"{}\",result=\"{}\"}} {}\n", key.first,
                       key.second, n);
  }
  out += "# HELP opencapf_issuer_call_seconds Latency of certificate issuance calls by mode.\n";
  out += "# TYPE opencapf_issuer_call_seconds histogram\n";
  for (const auto& [mode, h] : issuer_latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out += fmt::format("opencapf_issuer_call_seconds_bucket{{mode=\"{}\",le=\"{}\"}} {}\n", mode,
                         kBuckets[i], cumulative);
    }
    out += fmt::format("opencapf_issuer_call_seconds_bucket{{mode=\"{}\",le=\"+Inf\"}} {}\n", mode,
                       h.count);
    out += fmt::format("opencapf_issuer_call_seconds_sum{{mode=\"{}\"}} {}\n", mode, h.sum);
    out += fmt::format("opencapf_issuer_call_seconds_count{{mode=\"{}\"}} {}\n", mode, h.count);
  }
  return out;
}

}  // namespace capf
