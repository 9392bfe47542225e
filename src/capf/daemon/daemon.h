// Daemon: builds the phone-serving stack from an Environment — the CAPF identity, the issuer, the
// authenticator, the enrollment service and the TLS server — and runs it.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capf/api/admin_api.h"
#include "capf/api/admin_server.h"
#include "capf/api/auth_limiter.h"
#include "capf/api/crl_cache.h"
#include "capf/api/router.h"
#include "capf/daemon/environment.h"
#include "capf/daemon/issuer_builder.h"
#include "capf/issuer/capf_identity.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/issuer_holder.h"
#include "capf/server/capf_server.h"
#include "capf/service/authenticator.h"
#include "capf/service/enrollment_service.h"
#include "capf/service/node_presence.h"

namespace capf {

struct DaemonOverrides {
  std::vector<std::string> listen;  // replaces [server] listen when not empty
  std::optional<int> max_sessions;
  std::optional<std::string> admin_listen{};  // replaces [admin] listen ("" turns the API off)
};

class Daemon {
 public:
  // Loads and checks the CAPF identity: a certificate that breaks the CAPF CA rule refuses the
  // start with every problem named.
  static Result<std::unique_ptr<Daemon>> create(Environment& env, const DaemonOverrides& overrides);
  ~Daemon();

  // Starts serving phones, and a maintenance thread that applies a changed [issuer] configuration
  // or trust store from the next phone session on, and asks an online CA about the requests it
  // holds.
  Status start();
  void stop();
  // What the issuer in use says of itself.
  std::string issuer_description() const { return issuers_->current()->describe(); }
  // Applies opencapf.toml's [issuer] sections and the trust stores now if they changed (the
  // maintenance thread calls this every second; tests call it directly). True if the issuer was
  // rebuilt.
  bool reload_issuer();
  // Uses the CAPF certificate files if they changed (`opencapf ca regenerate|import`) and the
  // new identity is a valid CAPF CA; otherwise keeps the current one and logs why. True if it
  // switched. Called by the maintenance thread every second.
  bool reload_identity();
  std::vector<std::uint16_t> ports() const { return server_->ports(); }
  // The admin API's bound port; nullopt when the API is off.
  std::optional<std::uint16_t> admin_port() const;
  // The admin API's listen address as configured ("" when off).
  const std::string& admin_listen() const { return admin_listen_; }
  const CapfIdentity& identity() const { return *identity_->current(); }
  const ServerOptions& server_options() const { return server_options_; }
  ServerCounters counters() const { return server_->counters(); }

 private:
  explicit Daemon(Environment& env) : env_(env) {}

  Environment& env_;
  ServerOptions server_options_;
  void maintenance_loop();
  // Keeps the trust lists in [itl] publish_dir (maintenance thread only).
  void publish_trust_lists();

  // Both belong to the Environment (the composition root); the daemon swaps the identity.
  IdentityHolder* identity_ = nullptr;
  IssuerBuilder* factory_ = nullptr;
  std::unique_ptr<IssuerHolder> issuers_;
  std::mutex reload_mu_;  // guards the four fields below
  IssuerConfig issuer_config_;
  std::filesystem::file_time_type config_time_{};
  std::filesystem::file_time_type identity_time_{};
  std::int64_t trust_generation_ = -1;
  std::chrono::steady_clock::time_point next_poll_{};
  std::chrono::steady_clock::time_point next_renewal_{};
  std::string published_;        // what the published trust lists list (TrustListAdmin::publish)
  std::string publish_problem_;  // the last publishing error, logged once
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<EnrollmentService> enrollment_;
  std::unique_ptr<CapfServer> server_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;
  std::thread maintenance_;
  std::unique_ptr<NodePresence> presence_;  // the cluster heartbeat (maintenance thread)

  // The admin API (when [admin] listen or --admin is set). The server is declared last so that it
  // is destroyed first.
  Status build_admin_api(const DaemonOverrides& overrides);
  std::string server_metrics() const;
  std::string admin_metrics() const;
  std::string admin_listen_;
  std::unique_ptr<api::AuthFailureLimiter> api_limiter_;
  std::unique_ptr<api::CrlCache> api_crl_;
  std::unique_ptr<api::ApiServices> api_services_;
  std::unique_ptr<api::Router> api_router_;
  std::unique_ptr<api::AdminServer> admin_server_;
};

// Sets up spdlog from [log]: text lines or one JSON object per line, on stderr.
Status init_logging(const LogConfig& config);

}  // namespace capf
