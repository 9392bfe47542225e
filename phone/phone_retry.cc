#include "phone/phone_retry.h"

#include <algorithm>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "capf/protocol/message.h"

namespace capf::phone {

bool worth_retrying(const SessionReport& report) {
  if (report.exit_code != exit_code::kFailure) {
    return false;
  }
  if (report.connection_lost) {
    return true;
  }
  return report.end_reason == protocol::reason::kFailure && !report.phone_refused;
}

SessionReport run_with_retries(PhoneOptions options, const RetryPolicy& policy, PhoneState& state,
                               const RetryNotice& notice, const SessionRunner& runner) {
  SessionReport report;
  std::optional<pki::Certificate> installed;
  const int attempts = std::max(policy.attempts, 1);
  for (int attempt = 1;; ++attempt) {
    const ServerAddress& server = policy.servers.at((attempt - 1) % policy.servers.size());
    options.host = server.host;
    options.port = server.port;
    report = runner(options, state);
    report.attempts = attempt;
    if (report.installed) {
      installed = report.installed;
    }
    if (attempt >= attempts || !worth_retrying(report)) {
      break;
    }
    const ServerAddress& next = policy.servers.at(attempt % policy.servers.size());
    if (notice) {
      notice(fmt::format("attempt {} of {} failed: {}; retrying on {}:{}{}", attempt, attempts,
                         report.summary, next.host, next.port,
                         policy.delay.count() > 0 ? fmt::format(" in {} ms", policy.delay.count())
                                                  : std::string()));
    }
    std::this_thread::sleep_for(policy.delay);
  }
  if (installed && !report.installed && report.exit_code == exit_code::kNoOperation) {
    report.exit_code = exit_code::kSuccess;
    report.operation = "install";
    report.installed = installed;
    report.summary = fmt::format(
        "installed LSC serial {} (stored in an earlier attempt whose connection dropped before "
        "END_SESSION; the server now has no operation for {})",
        installed->serial_hex(), options.device_name);
  }
  return report;
}

}  // namespace capf::phone
