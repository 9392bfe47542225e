#include "capf/daemon/cluster_wiring.h"

#include <fmt/format.h>

#include "capf/daemon/registry_opener.h"

namespace capf {

RegistryDescription registry_description(const Config& config) {
  return {config.store.url.empty() ? "sqlite" : "postgresql", registry_location(config)};
}

std::unique_ptr<NodePresence> make_node_presence(const Config& config, Registry& registry,
                                                 const Clock& clock, const ServerOptions& options,
                                                 const CapfServer& server) {
  PresenceOptions o;
  o.node = config.node_name();
  const std::vector<std::uint16_t> ports = server.ports();
  for (std::size_t i = 0; i < options.listen.size() && i < ports.size(); ++i) {
    o.listen +=
        fmt::format("{}{}:{}", o.listen.empty() ? "" : " ", options.listen[i].host, ports[i]);
  }
  o.started = clock.now();
  o.heartbeat = std::chrono::seconds(config.cluster.heartbeat_seconds);
  o.lease = std::chrono::seconds(config.cluster.lease_seconds);
  return std::make_unique<NodePresence>(registry, clock, std::move(o),
                                        [&server] { return server.counters().active; });
}

}  // namespace capf
