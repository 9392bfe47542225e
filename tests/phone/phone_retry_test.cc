// The phone's retry rule (phone_retry.h): which session endings another attempt is made for, on
// real sessions against the fake server, and the round-robin loop with scripted session results.
#include "phone/phone_retry.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "capf/protocol/message.h"
#include "phone/phone_session.h"
#include "tests/phone/fake_capf_server.h"

namespace capf::phone {
namespace {

namespace proto = capf::protocol;
using testing::capf_credential;
using testing::run_against_fake_server;
using testing::ServerMode;
using testing::ServerScript;

PhoneOptions phone_options() {
  PhoneOptions options;
  options.device_name = "SEP001122334455";
  options.auth_string = "123456";
  options.timeout = std::chrono::seconds(1);
  return options;
}

struct EndingCase {
  const char* name;
  ServerMode mode;
  bool refuse_store;
  bool retried;
};

class RetryRule : public ::testing::TestWithParam<EndingCase> {};

TEST_P(RetryRule, RealSessionEnding) {
  const EndingCase& c = GetParam();
  PhoneState state = PhoneState::in_memory();
  PhoneOptions options = phone_options();
  options.refuse_store = c.refuse_store;
  ServerScript script;
  script.mode = c.mode;
  const SessionReport report = run_against_fake_server(script, options, state).report;
  EXPECT_EQ(worth_retrying(report), c.retried) << report.summary;
}

INSTANTIATE_TEST_SUITE_P(
    Endings, RetryRule,
    ::testing::Values(
        // END_SESSION 7 right after authentication: a busy device (or a lost registry).
        EndingCase{"RefusedAfterAuthentication", ServerMode::kRefuse, false, true},
        // The server stops answering mid-session: the read times out.
        EndingCase{"SilentServer", ServerMode::kSilentAfterAuth, false, true},
        EndingCase{"Installed", ServerMode::kInstall, false, false},
        EndingCase{"NoOperation", ServerMode::kNone, false, false},
        EndingCase{"UnknownDevice", ServerMode::kUnknownDevice, false, false},
        // The phone refused to store: the next attempt would end the same way.
        EndingCase{"PhoneRefusedToStore", ServerMode::kInstall, true, false},
        EndingCase{"ProtocolError", ServerMode::kChangeSessionId, false, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RetryRuleTransport, ClosedPortIsRetried) {
  PhoneState state = PhoneState::in_memory();
  PhoneOptions options = phone_options();
  options.server_trust = {capf_credential().certificate};
  options.host = "127.0.0.1";
  options.port = 1;
  const SessionReport report = run_session_blocking(options, state);
  EXPECT_TRUE(report.connection_lost) << report.summary;
  EXPECT_TRUE(worth_retrying(report));
}

// What a scripted session attempt ends with: its exit code, END_SESSION reason (-1: none), whether
// the connection was lost and whether the phone stored an LSC.
struct Outcome {
  int exit_code;
  int end_reason;
  bool connection_lost;
  bool stored;
};
constexpr Outcome kLost{exit_code::kFailure, -1, true, false};
constexpr Outcome kBusy{exit_code::kFailure, proto::reason::kFailure, false, false};
constexpr Outcome kInstalled{exit_code::kSuccess, proto::reason::kSuccess, false, true};
constexpr Outcome kStoredThenLost{exit_code::kFailure, -1, true, true};
constexpr Outcome kNoOperation{exit_code::kNoOperation, proto::reason::kNoAction, false, false};
constexpr Outcome kUnknownDevice{exit_code::kUnknownDevice, proto::reason::kUnknownDevice, false,
                                 false};

SessionReport scripted(const Outcome& outcome) {
  SessionReport r;
  r.exit_code = outcome.exit_code;
  if (outcome.end_reason >= 0)
    r.end_reason = static_cast<std::uint8_t>(outcome.end_reason);
  r.connection_lost = outcome.connection_lost;
  if (outcome.stored) {
    r.operation = "install";
    r.installed = capf_credential().certificate;
  }
  r.summary = "scripted";
  return r;
}

struct LoopCase {
  const char* name;
  int attempts;
  std::vector<Outcome> outcomes;  // one per attempt made
  std::vector<std::uint16_t> ports;
  int exit_code;
};

class RetryLoop : public ::testing::TestWithParam<LoopCase> {};

TEST_P(RetryLoop, TriesTheServersInTurn) {
  const LoopCase& c = GetParam();
  RetryPolicy policy;
  policy.servers = {{"127.0.0.1", 1}, {"127.0.0.1", 2}, {"127.0.0.1", 3}};
  policy.attempts = c.attempts;
  PhoneState state = PhoneState::in_memory();
  std::vector<std::uint16_t> ports;
  std::vector<std::string> notices;
  const SessionReport report = run_with_retries(
      phone_options(), policy, state, [&](const std::string& line) { notices.push_back(line); },
      [&](const PhoneOptions& options, PhoneState&) {
        ports.push_back(options.port);
        return scripted(c.outcomes.at(ports.size() - 1));
      });
  EXPECT_EQ(ports, c.ports);
  EXPECT_EQ(report.attempts, static_cast<int>(c.ports.size()));
  EXPECT_EQ(notices.size(), c.ports.size() - 1);
  EXPECT_EQ(report.exit_code, c.exit_code) << report.summary;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RetryLoop,
    ::testing::Values(
        LoopCase{"OneAttemptIsTodaysBehaviour", 1, {kLost}, {1}, exit_code::kFailure},
        LoopCase{"LostThenInstalledOnTheNext", 5, {kLost, kInstalled}, {1, 2}, exit_code::kSuccess},
        LoopCase{"BusyUntilTheLeaseEnds",
                 5,
                 {kLost, kBusy, kBusy, kInstalled},
                 {1, 2, 3, 1},
                 exit_code::kSuccess},
        LoopCase{
            "GivesUpAfterTheAttempts", 3, {kLost, kBusy, kLost}, {1, 2, 3}, exit_code::kFailure},
        LoopCase{"UnknownDeviceIsFinal", 5, {kUnknownDevice}, {1}, exit_code::kUnknownDevice},
        // The phone stored its LSC, the connection dropped before END_SESSION and the server,
        // which recorded the store, has nothing left to do: installed.
        LoopCase{"StoredBeforeTheDropCountsAsInstalled",
                 5,
                 {kStoredThenLost, kNoOperation},
                 {1, 2},
                 exit_code::kSuccess}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace capf::phone
