#include "capf/daemon/daemon.h"

#include <thread>

#include "capf/issuer/local/local_ca_issuer.h"
#include "capf/pki/profiles.h"

namespace capf {

Result<std::unique_ptr<Daemon>> Daemon::create(Environment& env, const DaemonOverrides& overrides) {
  std::unique_ptr<Daemon> d(new Daemon(env));
  const Config& config = env.config();
  auto identity = env.load_identity();
  if (!identity)
    return identity.error().with_context("loading the CAPF identity");
  std::vector<std::string> problems = pki::capf_profile_problems(identity->certificate);
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems)
      text += "\n  - " + p;
    return make_error(ErrorCode::kInvalidArgument,
                      "the CAPF certificate {} is not a valid CAPF CA; phones would fail the TLS "
                      "handshake:{}",
                      identity->certificate.subject(), text);
  }
  d->identity_ = std::make_unique<IdentityHolder>(
      std::make_shared<const CapfIdentity>(std::move(identity).value()));
  d->issuer_ =
      std::make_unique<LocalCaIssuer>(*d->identity_, env.clock(), config.lsc.validity_days);
  AuthPolicy auth_policy;
  auth_policy.max_string_attempts = config.auth.max_string_attempts;
  auth_policy.accept_expired_mic = config.auth.accept_expired_mic;
  d->authenticator_ = std::make_unique<Authenticator>(env.trust(), env.registry(), *d->identity_,
                                                      env.clock(), auth_policy);
  EnrollmentPolicy policy;
  policy.auth = auth_policy;
  policy.allow_rsa_512 = config.auth.allow_rsa_512;
  d->enrollment_ = std::make_unique<EnrollmentService>(env.registry(), *d->authenticator_,
                                                       *d->issuer_, env.clock(), policy);

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ServerOptions& o = d->server_options_;
  for (const std::string& l : overrides.listen.empty() ? config.server.listen : overrides.listen) {
    CAPF_ASSIGN_OR_RETURN(HostPort hp, parse_host_port(l));
    o.listen.push_back(ListenAddress{hp.host, hp.port});
  }
  o.max_sessions = overrides.max_sessions.value_or(config.server.max_sessions);
  o.io_threads = config.server.io_threads > 0 ? config.server.io_threads : cores;
  o.worker_threads = config.server.worker_threads > 0 ? config.server.worker_threads : cores;
  o.legacy_tls = config.server.legacy_tls;
  o.limits.handshake = std::chrono::seconds(config.timeouts.handshake_seconds);
  o.limits.read = std::chrono::seconds(config.timeouts.read_seconds);
  o.limits.keygen = std::chrono::seconds(config.timeouts.keygen_seconds);
  o.limits.keygen_max = std::chrono::seconds(config.timeouts.keygen_max_seconds);
  CAPF_ASSIGN_OR_RETURN(d->server_, CapfServer::create(o, *d->enrollment_, *d->identity_));
  return d;
}

Daemon::~Daemon() {
  if (server_)
    server_->stop();
}

Status Daemon::start() {
  return server_->start();
}

void Daemon::stop() {
  server_->stop();
}

}  // namespace capf
