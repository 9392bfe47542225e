#include "capf/daemon/daemon.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

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
  {
    std::error_code time_ec;
    d->identity_time_ = std::filesystem::last_write_time(env.identity_paths().cert, time_ec);
  }
  d->identity_ = std::make_unique<IdentityHolder>(
      std::make_shared<const CapfIdentity>(std::move(identity).value()));
  d->factory_ =
      std::make_unique<DaemonIssuerFactory>(config, env.trust(), *d->identity_, env.clock());
  d->issuer_config_ = config.issuer;
  auto issuer = d->factory_->build(config.issuer);
  if (!issuer) {
    return issuer.error().with_context(
        fmt::format("the [issuer] configuration ({} mode)", config.issuer.mode));
  }
  d->issuers_ = std::make_unique<IssuerHolder>(std::move(issuer).value());
  std::error_code ec;
  d->config_time_ = std::filesystem::last_write_time(config.data_dir / "opencapf.toml", ec);
  auto generation = env.registry().trust_generation();
  d->trust_generation_ = generation ? *generation : -1;
  AuthPolicy auth_policy;
  auth_policy.max_string_attempts = config.auth.max_string_attempts;
  auth_policy.accept_expired_mic = config.auth.accept_expired_mic;
  d->authenticator_ = std::make_unique<Authenticator>(env.trust(), env.registry(), *d->identity_,
                                                      env.clock(), auth_policy);
  EnrollmentPolicy policy;
  policy.auth = auth_policy;
  policy.allow_rsa_512 = config.auth.allow_rsa_512;
  d->enrollment_ = std::make_unique<EnrollmentService>(
      env.registry(), *d->authenticator_, *d->issuers_, *d->identity_, env.clock(), policy);

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
  stop();
}

Status Daemon::start() {
  CAPF_TRY(server_->start());
  spdlog::info("issuer: {}", issuers_->current()->describe());
  maintenance_ = std::thread([this] { maintenance_loop(); });
  return ok();
}

void Daemon::stop() {
  {
    std::lock_guard lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable())
    maintenance_.join();
  if (server_)
    server_->stop();
}

bool Daemon::reload_issuer() {
  std::lock_guard reload_lock(reload_mu_);
  const std::filesystem::path file = env_.config().data_dir / "opencapf.toml";
  std::error_code ec;
  auto time = std::filesystem::last_write_time(file, ec);
  auto generation = env_.registry().trust_generation();
  const std::int64_t trust = generation ? *generation : trust_generation_;
  if ((ec || time == config_time_) && trust == trust_generation_)
    return false;
  config_time_ = ec ? config_time_ : time;
  trust_generation_ = trust;
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_issuer_config(text.str());
  if (!config) {
    spdlog::error("opencapf.toml changed but its [issuer] sections are not valid; keeping {}: {}",
                  issuers_->current()->describe(), config.error().message);
    return false;
  }
  auto issuer = factory_->build(*config);
  if (!issuer) {
    spdlog::error("cannot use the new [issuer] configuration; keeping {}: {}",
                  issuers_->current()->describe(), issuer.error().message);
    return false;
  }
  issuer_config_ = *config;
  const std::string before = issuers_->current()->describe();
  issuers_->replace(std::move(issuer).value());
  const std::string now = issuers_->current()->describe();
  if (now != before) {
    spdlog::info("issuer now: {} (from the next phone session on)", now);
  } else {
    spdlog::debug("issuer rebuilt after a configuration or trust store change: {}", now);
  }
  return true;
}

bool Daemon::reload_identity() {
  std::lock_guard reload_lock(reload_mu_);
  std::error_code ec;
  auto time = std::filesystem::last_write_time(env_.identity_paths().cert, ec);
  if (ec || time == identity_time_)
    return false;
  identity_time_ = time;
  auto identity = env_.load_identity();
  if (!identity) {
    spdlog::error("the CAPF certificate files changed but cannot be loaded; keeping {}: {}",
                  identity_->current()->certificate.subject(), identity.error().message);
    return false;
  }
  auto problems = pki::capf_profile_problems(identity->certificate);
  if (!problems.empty()) {
    spdlog::error("the new CAPF certificate {} is not a valid CAPF CA; keeping {}: {}",
                  identity->certificate.subject(), identity_->current()->certificate.subject(),
                  problems.front());
    return false;
  }
  Status tls = server_->replace_identity(*identity);
  if (!tls) {
    spdlog::error("TLS refuses the new CAPF identity; keeping the current one: {}",
                  tls.error().message);
    return false;
  }
  identity_->replace(std::make_shared<const CapfIdentity>(std::move(identity).value()));
  spdlog::info("CAPF identity now: {} (SHA-256 {}), for new sessions and new LSCs",
               identity_->current()->certificate.subject(),
               identity_->current()->certificate.fingerprint_sha256());
  return true;
}

void Daemon::maintenance_loop() {
  std::unique_lock lock(maintenance_mu_);
  while (!stopping_) {
    maintenance_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_)
      break;
    lock.unlock();
    reload_identity();
    reload_issuer();
    IssuerConfig config;
    {
      std::lock_guard reload_lock(reload_mu_);
      config = issuer_config_;
    }
    if (config.mode == "online" && std::chrono::steady_clock::now() >= next_poll_) {
      next_poll_ =
          std::chrono::steady_clock::now() + std::chrono::seconds(config.online.poll_seconds);
      int arrived = enrollment_->poll_pending_requests();
      if (arrived > 0)
        spdlog::info("{} certificate(s) arrived from the online CA", arrived);
    }
    const RenewalConfig& renewal = env_.config().renewal;
    if (renewal.renew_before_days > 0 && std::chrono::steady_clock::now() >= next_renewal_) {
      next_renewal_ =
          std::chrono::steady_clock::now() + std::chrono::minutes(renewal.check_minutes);
      auto scheduled = env_.certificate_admin().schedule_renewals(renewal.renew_before_days);
      if (!scheduled) {
        spdlog::error("renewal: {}", scheduled.error().message);
      } else if (!scheduled->empty()) {
        spdlog::info("renewal: {} device(s) scheduled to renew their LSC by existing LSC",
                     scheduled->size());
      }
    }
    lock.lock();
  }
}

}  // namespace capf
