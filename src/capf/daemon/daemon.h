// Daemon: builds the phone-serving stack from an Environment — the CAPF identity, the issuer, the
// authenticator, the enrollment service and the TLS server — and runs it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capf/daemon/environment.h"
#include "capf/issuer/capf_identity.h"
#include "capf/issuer/issuer.h"
#include "capf/server/capf_server.h"
#include "capf/service/authenticator.h"
#include "capf/service/enrollment_service.h"

namespace capf {

struct DaemonOverrides {
  std::vector<std::string> listen;  // replaces [server] listen when not empty
  std::optional<int> max_sessions;
};

class Daemon {
 public:
  // Loads and checks the CAPF identity: a certificate that breaks the CAPF CA rule refuses the
  // start with every problem named.
  static Result<std::unique_ptr<Daemon>> create(Environment& env, const DaemonOverrides& overrides);
  ~Daemon();

  Status start();
  void stop();
  std::vector<std::uint16_t> ports() const { return server_->ports(); }
  const CapfIdentity& identity() const { return *identity_->current(); }
  const ServerOptions& server_options() const { return server_options_; }
  ServerCounters counters() const { return server_->counters(); }

 private:
  explicit Daemon(Environment& env) : env_(env) {}

  Environment& env_;
  ServerOptions server_options_;
  std::unique_ptr<IdentityHolder> identity_;
  std::unique_ptr<Issuer> issuer_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<EnrollmentService> enrollment_;
  std::unique_ptr<CapfServer> server_;
};

// Sets up spdlog from [log]: text lines or one JSON object per line, on stderr.
Status init_logging(const LogConfig& config);

}  // namespace capf
