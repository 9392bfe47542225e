#include "capf/service/session_metrics.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

TEST(SessionMetrics, CountsSessionsAndIssuerCallsInPrometheusText) {
  SessionMetrics m;
  m.record_session(Operation::kInstall, OperationStatus::success(Operation::kInstall));
  m.record_session(Operation::kInstall, OperationStatus::success(Operation::kInstall));
  m.record_session(Operation::kDelete,
                   OperationStatus::failed(Operation::kDelete, FailureReason::kInvalidLsc));
  m.record_issuer_call("capf", true, std::chrono::milliseconds(3));
  m.record_issuer_call("capf", true, std::chrono::milliseconds(70));
  m.record_issuer_call("online", false, std::chrono::seconds(30));
  const std::string text = m.prometheus_text();
  EXPECT_NE(text.find("# TYPE opencapf_sessions_total counter"), std::string::npos);
  EXPECT_NE(text.find("opencapf_sessions_total{operation=\"install\",result=\"success\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("opencapf_sessions_total{operation=\"delete\",result=\"failed\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("opencapf_issuer_calls_total{mode=\"capf\",result=\"ok\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("opencapf_issuer_calls_total{mode=\"online\",result=\"error\"} 1\n"),
            std::string::npos);
  // Buckets are cumulative; 30 s is only in +Inf.
  EXPECT_NE(text.find("opencapf_issuer_call_seconds_bucket{mode=\"capf\",le=\"0.005\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("opencapf_issuer_call_seconds_bucket{mode=\"capf\",le=\"0.1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("opencapf_issuer_call_seconds_bucket{mode=\"online\",le=\"10\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("opencapf_issuer_call_seconds_bucket{mode=\"online\",le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("opencapf_issuer_call_seconds_count{mode=\"capf\"} 2\n"), std::string::npos);
}

TEST(SessionMetrics, CountsBusyRefusalsFromZero) {
  SessionMetrics m;
  EXPECT_NE(m.prometheus_text().find("# TYPE opencapf_sessions_busy_total counter\n"
                                     "opencapf_sessions_busy_total 0\n"),
            std::string::npos);
  m.record_busy();
  m.record_busy();
  EXPECT_NE(m.prometheus_text().find("\nopencapf_sessions_busy_total 2\n"), std::string::npos);
}

}  // namespace
}  // namespace capf
