// NodePresence: how a running node tells the others it is alive (docs/cluster.md). Every
// [cluster] heartbeat_seconds it records its heartbeat (name, version, listen addresses, phone
// sessions open now, start time) and moves the expiry of every device claim it holds to now +
// lease_seconds, so that a live node's claims never lapse while a dead node's do. A failed
// heartbeat is logged once per outage (and its end once), never fatal. SQLite runs it too: a
// cluster of one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/cluster_state.h"

namespace capf {

// This build's version, "0.1.0" (the project's version in CMakeLists.txt).
std::string_view opencapf_version();

struct PresenceOptions {
  std::string node;     // Config::node_name()
  std::string listen;   // the phone addresses, "0.0.0.0:3804"
  TimePoint started{};  // when this run started
  std::chrono::seconds heartbeat{10};
  std::chrono::seconds lease{60};
};

class NodePresence {
 public:
  // `sessions` says how many phone sessions are open now; called at every heartbeat.
  NodePresence(ClusterState& cluster, const Clock& clock, PresenceOptions options,
               std::function<std::int64_t()> sessions);

  // Beats when one is due: at the first call, then every `heartbeat` (sooner if the clock went
  // back). Call it often (the daemon's maintenance thread does, every second). True if it beat.
  bool tick();
  // Records the heartbeat and extends the node's claims now. Its error is also logged, once per
  // outage; the first success after an outage logs "heartbeat restored".
  Status beat();
  // False from a failed heartbeat to the next one that succeeds.
  bool healthy() const { return !failing_; }

 private:
  ClusterState& cluster_;
  const Clock& clock_;
  PresenceOptions options_;
  std::function<std::int64_t()> sessions_;
  std::optional<TimePoint> last_;  // the last heartbeat attempted
  bool failing_ = false;
};

}  // namespace capf
