// The daemon's side of the cluster (docs/cluster.md): the node's heartbeat built from the
// configuration and the running phone server, and the registry's description that `cluster
// status` shows. Used by the daemon and by `opencapf cluster status`.
#pragma once

#include <memory>

#include "capf/config/config.h"
#include "capf/server/capf_server.h"
#include "capf/service/cluster_status.h"
#include "capf/service/node_presence.h"
#include "capf/store/device_store.h"

namespace capf {

// "postgresql" and the URL, or "sqlite" and the file's path.
RegistryDescription registry_description(const Config& config);

// The presence of this node: [cluster] node_name (or the host name), heartbeat_seconds and
// lease_seconds, the server's bound addresses and its open sessions. `server` must be started
// and outlive the result.
std::unique_ptr<NodePresence> make_node_presence(const Config& config, Registry& registry,
                                                 const Clock& clock, const ServerOptions& options,
                                                 const CapfServer& server);

}  // namespace capf
