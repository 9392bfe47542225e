#include "capf/daemon/daemon.h"

#include <thread>

#include <spdlog/spdlog.h>

#include "capf/api/admin_api.h"
#include "capf/api/admin_tls.h"
#include "capf/common/file.h"
#include "capf/daemon/cluster_wiring.h"
#include "capf/pki/profiles.h"
#include "capf/service/cluster_sync.h"

namespace capf {

Result<std::unique_ptr<Daemon>> Daemon::create(Environment& env, const DaemonOverrides& overrides) {
  std::unique_ptr<Daemon> d(new Daemon(env));
  const Config& config = env.config();
  auto identity = env.identity();
  if (!identity)
    return identity.error().with_context("loading the CAPF identity");
  d->identity_ = *identity;
  const pki::Certificate& certificate = d->identity_->current()->certificate;
  std::vector<std::string> problems = pki::capf_profile_problems(certificate);
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems)
      text += "\n  - " + p;
    return make_error(ErrorCode::kInvalidArgument,
                      "the CAPF certificate {} is not a valid CAPF CA; phones would fail the TLS "
                      "handshake:{}",
                      certificate.subject(), text);
  }
  {
    std::error_code time_ec;
    d->identity_time_ = std::filesystem::last_write_time(env.identity_paths().cert, time_ec);
  }
  CAPF_ASSIGN_OR_RETURN(d->factory_, env.issuer_builder());
  d->issuer_config_ = config.issuer;
  auto issuer = d->factory_->build(config.issuer);
  if (!issuer) {
    return issuer.error().with_context(
        fmt::format("the [issuer] configuration ({} mode)", to_string(config.issuer.mode)));
  }
  d->issuers_ = std::make_unique<IssuerHolder>(std::move(issuer).value());
  std::error_code ec;
  d->config_time_ = std::filesystem::last_write_time(config_file(config.data_dir), ec);
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
  policy.node = config.node_name();
  policy.claim_lease = std::chrono::seconds(config.cluster.lease_seconds);
  // What this node's previous run left claimed it no longer runs: free, and shown as interrupted.
  CAPF_TRY(release_claims_left_behind(env.registry(), env.clock(), policy.node));
  d->enrollment_ = std::make_unique<EnrollmentService>(
      env.registry(), *d->authenticator_, *d->issuers_, *d->identity_, env.clock(), policy);

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ServerOptions& o = d->server_options_;
  for (const std::string& l : overrides.listen.empty() ? config.server.listen : overrides.listen) {
    CAPF_ASSIGN_OR_RETURN(HostPort hp, parse_host_port(l));
    o.listen.push_back(ListenAddress{hp.host, hp.port});
  }
  o.max_sessions = overrides.max_sessions.value_or(config.server.max_sessions);
  o.max_connections_per_address = config.server.max_connections_per_address;
  o.max_handshakes_per_address = config.server.max_handshakes_per_address;
  o.io_threads = config.server.io_threads > 0 ? config.server.io_threads : cores;
  o.worker_threads = config.server.worker_threads > 0 ? config.server.worker_threads : cores;
  o.legacy_tls = config.server.legacy_tls;
  o.ca_max_in_flight = config.issuer.max_in_flight;
  o.limits.handshake = std::chrono::seconds(config.timeouts.handshake_seconds);
  o.limits.read = std::chrono::seconds(config.timeouts.read_seconds);
  o.limits.keygen = std::chrono::seconds(config.timeouts.keygen_seconds);
  o.limits.keygen_max = std::chrono::seconds(config.timeouts.keygen_max_seconds);
  CAPF_ASSIGN_OR_RETURN(d->server_, CapfServer::create(o, *d->enrollment_, *d->identity_));
  CAPF_TRY(d->build_admin_api(overrides));
  return d;
}

Status Daemon::build_admin_api(const DaemonOverrides& overrides) {
  const Config& config = env_.config();
  admin_listen_ = overrides.admin_listen.value_or(config.admin.listen);
  if (admin_listen_.empty()) {
    return ok();
  }
  CAPF_ASSIGN_OR_RETURN(HostPort hp, parse_host_port(admin_listen_));
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::filesystem::path cert_path = config.path_in_data(config.admin.cert_file);
  std::filesystem::path key_path = config.path_in_data(config.admin.key_file);
  if (config.admin.cert_file.empty()) {
    // The admin pair `init` makes; a data directory from before it gets one now, once. The CAPF
    // key is never the listener's key: it signs LSCs and would otherwise face every web client.
    cert_path = config.path_in_data(api::kAdminCertFile);
    key_path = config.path_in_data(api::kAdminKeyFile);
    std::error_code exists_ec;
    if (!std::filesystem::exists(cert_path, exists_ec)) {
      CAPF_ASSIGN_OR_RETURN(pki::Certificate made,
                            api::create_admin_tls_files(cert_path, key_path, env_.clock()));
      spdlog::warn(
          "the admin API now has its own TLS certificate {} (SHA-256 {}), no longer the "
          "CAPF one: clients that pinned the CAPF certificate must trust this one",
          cert_path.string(), made.fingerprint_sha256());
    }
  }
  auto certs = pki::read_certificates(cert_path);
  if (!certs)
    return certs.error().with_context("[admin] cert_file");
  CAPF_ASSIGN_OR_RETURN(std::string key_text, read_file(key_path));
  auto key = pki::PrivateKey::from_pem(key_text);
  if (!key)
    return key.error().with_context(fmt::format("[admin] key_file {}", key_path.string()));
  std::vector<pki::Certificate> chain(certs->begin() + 1, certs->end());
  CAPF_ASSIGN_OR_RETURN(tls, api::make_admin_tls_context(certs->front(), chain, *key));
  // Made here, before any thread runs: Environment builds these on first use.
  CertificateAdmin& certificates = env_.certificate_admin();
  IdentityAdmin& identity_admin = env_.identity_admin();
  CAPF_ASSIGN_OR_RETURN(IssuerAdmin * issuer_admin, env_.issuer_admin());
  api_limiter_ = std::make_unique<api::AuthFailureLimiter>(env_.clock(),
                                                           config.admin.auth_failures_per_minute);
  api_crl_ = std::make_unique<api::CrlCache>(certificates, *identity_, env_.clock(),
                                             config.crl.next_update_days);
  api_services_ = std::make_unique<api::ApiServices>(api::ApiServices{
      env_.admin(), env_.access(), certificates, identity_admin, *api_crl_, env_.clock(),
      DeviceCsv(env_.registry(), env_.admin()), CapfReports(env_.registry(), env_.clock()),
      [this] { return server_metrics(); }, env_.offline_admin(), *issuer_admin,
      ClusterStatus(env_.registry(), env_.clock(), registry_description(config))});
  api_router_ = std::make_unique<api::Router>(env_.access(), *api_limiter_);
  api::add_all_routes(*api_router_, *api_services_);
  api::AdminServerOptions options;
  options.host = hp.host;
  options.port = hp.port;
  options.max_connections = config.admin.max_connections;
  options.max_connections_per_address = config.admin.max_connections_per_address;
  options.max_handshakes_per_address = config.admin.max_handshakes_per_address;
  options.request_timeout = std::chrono::seconds(config.admin.request_timeout_seconds);
  options.max_body_bytes = static_cast<std::size_t>(config.admin.max_body_kib) * 1024;
  CAPF_ASSIGN_OR_RETURN(admin_server_,
                        api::AdminServer::create(options, std::move(tls), *api_router_));
  return ok();
}

std::optional<std::uint16_t> Daemon::admin_port() const {
  if (!admin_server_)
    return std::nullopt;
  return admin_server_->port();
}

std::string Daemon::server_metrics() const {
  ServerCounters c = server_->counters();
  return fmt::format(
             "# HELP opencapf_phone_connections_total Connections accepted on the CAPF port.\n"
             "# TYPE opencapf_phone_connections_total counter\n"
             "opencapf_phone_connections_total {}\n"
             "# HELP opencapf_phone_connections_refused_total Connections closed over the session "
             "cap.\n"
             "# TYPE opencapf_phone_connections_refused_total counter\n"
             "opencapf_phone_connections_refused_total {}\n"
             "# HELP opencapf_phone_sessions_active Phone sessions running now.\n"
             "# TYPE opencapf_phone_sessions_active gauge\n"
             "opencapf_phone_sessions_active {}\n"
             "# HELP opencapf_phone_sessions_peak Most phone sessions at once since the start.\n"
             "# TYPE opencapf_phone_sessions_peak gauge\n"
             "opencapf_phone_sessions_peak {}\n"
             "# HELP opencapf_phone_connections_refused_per_address_total Connections closed "
             "because their source address held its per-address limit.\n"
             "# TYPE opencapf_phone_connections_refused_per_address_total counter\n"
             "opencapf_phone_connections_refused_per_address_total{{limit=\"connections\"}} {}\n"
             "opencapf_phone_connections_refused_per_address_total{{limit=\"handshakes\"}} {}\n",
             c.accepted, c.refused_over_cap, c.active, c.peak_active, c.refused_address_connections,
             c.refused_address_handshakes) +
         server_->ca_metrics() + admin_metrics() + enrollment_->metrics().prometheus_text();
}

std::string Daemon::admin_metrics() const {
  if (!admin_server_)
    return {};
  api::AdminServerCounters a = admin_server_->counters();
  return fmt::format(
      "# HELP opencapf_admin_connections_refused_total Admin API connections closed at once.\n"
      "# TYPE opencapf_admin_connections_refused_total counter\n"
      "opencapf_admin_connections_refused_total{{reason=\"cap\"}} {}\n"
      "opencapf_admin_connections_refused_total{{reason=\"address_connections\"}} {}\n"
      "opencapf_admin_connections_refused_total{{reason=\"address_handshakes\"}} {}\n",
      a.refused_over_cap, a.refused_address_connections, a.refused_address_handshakes);
}

Daemon::~Daemon() {
  stop();
}

Status Daemon::start() {
  CAPF_TRY(server_->start());
  if (admin_server_) {
    Status admin = admin_server_->start();
    if (!admin) {
      server_->stop();
      return admin;
    }
    spdlog::info("admin API on https://{} (port {})", admin_listen_, admin_server_->port());
  }
  spdlog::info("issuer: {}", issuers_->current()->describe());
  presence_ =
      make_node_presence(env_.config(), env_.registry(), env_.clock(), server_options_, *server_);
  presence_->tick();  // the first heartbeat, then every [cluster] heartbeat_seconds
  maintenance_ = std::thread([this] { maintenance_loop(); });
  return ok();
}

void Daemon::stop() {
  if (admin_server_)
    admin_server_->stop();
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
  std::error_code ec;
  auto time = std::filesystem::last_write_time(config_file(env_.config().data_dir), ec);
  auto generation = env_.registry().trust_generation();
  const std::int64_t trust = generation ? *generation : trust_generation_;
  if ((ec || time == config_time_) && trust == trust_generation_)
    return false;
  config_time_ = ec ? config_time_ : time;
  trust_generation_ = trust;
  auto config = load_issuer_config(env_.config().data_dir);
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

void Daemon::publish_trust_lists() {
  const ItlConfig& itl = env_.config().itl;
  if (itl.publish_dir.empty())
    return;
  const std::filesystem::path dir = env_.config().path_in_data(itl.publish_dir);
  auto written = env_.trust_list_admin().publish(dir, itl.publish_ctl, published_);
  if (!written) {
    if (written.error().message != publish_problem_) {
      publish_problem_ = written.error().message;
      spdlog::error("trust lists not published in {}: {}", dir.string(), publish_problem_);
    }
    return;
  }
  publish_problem_.clear();
  if (*written) {
    spdlog::info("trust lists published in {} ({}{})", dir.string(), "ITLFile.tlv",
                 itl.publish_ctl ? ", CTLFile.tlv" : "");
  }
}

void Daemon::maintenance_loop() {
  // A cluster's shared CAPF identity and [issuer] settings, written to this node's files when
  // another node changed them, for the reloads below (cluster_sync.h).
  ClusterSync cluster(env_.config(), env_.registry(), env_.trust());
  std::unique_lock lock(maintenance_mu_);
  while (!stopping_) {
    maintenance_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_)
      break;
    lock.unlock();
    enrollment_->retry_claim_releases();  // before the heartbeat extends the node's claims
    presence_->tick();
    cluster.tick();
    reload_identity();
    reload_issuer();
    publish_trust_lists();
    IssuerConfig config;
    {
      std::lock_guard reload_lock(reload_mu_);
      config = issuer_config_;
    }
    if (config.mode == IssuerMode::kOnline && std::chrono::steady_clock::now() >= next_poll_) {
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
