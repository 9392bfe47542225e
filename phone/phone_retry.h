// A phone's retries across its CAPF servers, like a phone with a capfList: a session that failed
// for a reason another attempt may not share (no connection, TLS, a dropped or silent connection,
// the server ending the session with END_SESSION 7 while the phone did all it was asked) is tried
// again on the next server of the list, round robin, keeping the phone's state (its MIC, LSC and
// pending key) between attempts (docs/cluster.md, "Claims and failover").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "phone/phone_options.h"
#include "phone/phone_state.h"

namespace capf::phone {

struct ServerAddress {
  std::string host;
  std::uint16_t port = 3804;
};

struct RetryPolicy {
  std::vector<ServerAddress> servers;  // tried in this order, round robin; at least one
  int attempts = 1;                    // sessions at most, the first included
  std::chrono::milliseconds delay{0};  // pause before each retry
};

// Whether a session that ended so is worth another attempt: the connection was lost (connecting,
// TLS, a read or write failed or timed out), or the server ended it with END_SESSION 7 and the
// phone had refused nothing. END_SESSION 7 right after authentication is what a busy device (held
// by another session, maybe on a dead node until its lease ends) and a registry that cannot be
// reached look like; a wrong authentication string looks the same on the wire, so it is retried
// too, up to the attempts. Not retried: success, no operation, a pending request, an unknown
// device (END_SESSION 9), a step the phone refused, a protocol error, a local error.
bool worth_retrying(const SessionReport& report);

// One session against options.host:options.port (run_session_blocking, or a test's stand-in).
using SessionRunner = std::function<SessionReport(const PhoneOptions&, PhoneState&)>;
// Called before each retry with one line saying why and where to.
using RetryNotice = std::function<void(const std::string&)>;

// Runs sessions, each against the next server of policy.servers, until one is not worth retrying
// or policy.attempts were made; returns the last report, with `attempts` set. An install whose LSC
// the phone stored in an earlier attempt (the connection dropped before END_SESSION) and whose
// server then has nothing left to do counts as installed (exit code 0).
SessionReport run_with_retries(PhoneOptions options, const RetryPolicy& policy, PhoneState& state,
                               const RetryNotice& notice, const SessionRunner& runner);

}  // namespace capf::phone
