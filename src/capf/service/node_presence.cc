#include "capf/service/node_presence.h"

#include <spdlog/spdlog.h>

namespace capf {

std::string_view opencapf_version() {
  return OPENCAPF_VERSION;
}

NodePresence::NodePresence(ClusterState& cluster, const Clock& clock, PresenceOptions options,
                           std::function<std::int64_t()> sessions)
    : cluster_(cluster),
      clock_(clock),
      options_(std::move(options)),
      sessions_(std::move(sessions)) {}

bool NodePresence::tick() {
  const TimePoint now = clock_.now();
  if (last_ && now >= *last_ && now < *last_ + options_.heartbeat)
    return false;
  (void)beat();
  return true;
}

Status NodePresence::beat() {
  const TimePoint now = clock_.now();
  last_ = now;
  NodeHeartbeat self;
  self.node = options_.node;
  self.version = std::string(opencapf_version());
  self.listen = options_.listen;
  self.sessions = sessions_ ? sessions_() : 0;
  self.started = options_.started;
  self.seen = now;
  Status status = cluster_.heartbeat(self);
  if (status) {
    auto extended = cluster_.extend_node_claims(options_.node, now + options_.lease);
    if (!extended)
      status = extended.error().with_context("extending this node's device claims");
  }
  if (!status) {
    if (!failing_) {
      spdlog::warn(
          "cluster heartbeat of node {} failed; other nodes may take over its devices once "
          "its claims expire ({} s): {}",
          options_.node, options_.lease.count(), status.error().message);
    }
    failing_ = true;
    return status;
  }
  if (failing_)
    spdlog::info("cluster heartbeat of node {} restored", options_.node);
  failing_ = false;
  return ok();
}

}  // namespace capf
