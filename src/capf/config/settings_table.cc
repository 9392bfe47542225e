// The rows of the settings table (settings_table.h): one per setting of opencapf.toml.
#include "capf/config/settings_table.h"

#include <fmt/format.h>

namespace capf {

namespace {

using C = Config;
using S = ServerConfig;
using T = TimeoutConfig;
using A = AdminConfig;
using O = OnlineCaConfig;
using I = IssuerConfig;
constexpr int kMany = 1000000;

constexpr Setting kSettings[] = {
    {"server", "listen", field<&C::server, &S::listen>(), 0, 0,
     "HOST:PORT list; [::]:3804 for IPv6, 0.0.0.0:3804 for all IPv4"},
    {"server", "max_sessions", field<&C::server, &S::max_sessions>(), 1, kMany,
     "concurrent phone sessions; further connections are closed at once"},
    {"server", "max_connections_per_address", field<&C::server, &S::max_connections_per_address>(),
     0, kMany, "per phone address (0 = no limit); raise it when many phones share one NAT address"},
    {"server", "max_handshakes_per_address", field<&C::server, &S::max_handshakes_per_address>(), 0,
     kMany, "TLS handshakes in progress per phone address (0 = no limit)"},
    {"server", "io_threads", field<&C::server, &S::io_threads>(), 0, 256, "0 = one per core"},
    {"server", "worker_threads", field<&C::server, &S::worker_threads>(), 0, 256,
     "registry writes and signing; 0 = one per core"},
    {"server", "legacy_tls", field<&C::server, &S::legacy_tls>(), 0, 0,
     "true allows TLS 1.0 for 7900-series phones (logged when used)"},
    {"timeouts", "handshake_seconds", field<&C::timeouts, &T::handshake_seconds>(), 1, 600, ""},
    {"timeouts", "read_seconds", field<&C::timeouts, &T::read_seconds>(), 1, 3600,
     "every phone message except the key-generation answer"},
    {"timeouts", "keygen_seconds", field<&C::timeouts, &T::keygen_seconds>(), 1, 7200,
     "restarted by each REQUEST_IN_PROGRESS"},
    {"timeouts", "keygen_max_seconds", field<&C::timeouts, &T::keygen_max_seconds>(), 1, 86400,
     "the whole key-generation wait (at least keygen_seconds)"},
    {"lsc", "validity_days", field<&C::lsc, &LscConfig::validity_days>(), 1, 3650, ""},
    {"crl", "next_update_days", field<&C::crl, &CrlConfig::next_update_days>(), 1, 365,
     "nextUpdate of the CRL `opencapf crl` writes"},
    {"renewal", "renew_before_days", field<&C::renewal, &RenewalConfig::renew_before_days>(), 0,
     3650, "> 0: LSCs expiring within this many days are renewed by existing LSC"},
    {"renewal", "check_minutes", field<&C::renewal, &RenewalConfig::check_minutes>(), 1, 10080,
     "how often the server looks for them"},
    {"itl", "publish_dir", field<&C::itl, &ItlConfig::publish_dir>(), 0, 0,
     "the TFTP root: the server keeps ITLFile.tlv there (\"\" = off)"},
    {"itl", "publish_ctl", field<&C::itl, &ItlConfig::publish_ctl>(), 0, 0,
     "true keeps CTLFile.tlv there too"},
    {"auth", "max_string_attempts", field<&C::auth, &AuthConfig::max_string_attempts>(), 1, 100,
     "wrong authentication strings before the operation locks"},
    {"auth", "accept_expired_mic", field<&C::auth, &AuthConfig::accept_expired_mic>(), 0, 0,
     "many older phones carry expired MICs"},
    {"auth", "allow_rsa_512", field<&C::auth, &AuthConfig::allow_rsa_512>(), 0, 0, ""},
    {"operations", "default_deadline_days",
     field<&C::operations, &OperationConfig::default_deadline_days>(), 0, 3650,
     "\"Operation Completes By\" when an operation is set without one"},
    {"capf", "cert_file", field<&C::capf, &CapfIdentityConfig::cert_file>(), 0, 0, ""},
    {"capf", "key_file", field<&C::capf, &CapfIdentityConfig::key_file>(), 0, 0,
     "or a pkcs11: URI naming a key in a token"},
    {"capf", "chain_file", field<&C::capf, &CapfIdentityConfig::chain_file>(), 0, 0, ""},
    {"capf", "passphrase_file", field<&C::capf, &CapfIdentityConfig::passphrase_file>(), 0, 0,
     "file holding the key passphrase, if the key is encrypted"},
    {"capf", "passphrase_env", field<&C::capf, &CapfIdentityConfig::passphrase_env>(), 0, 0,
     "or the name of an environment variable holding it"},
    {"issuer", "mode", field<&C::issuer, &I::mode>(), 0, 0,
     "capf (CAPF signs LSCs) | online | offline: see docs/ca-modes.md"},
    {"issuer", "max_in_flight", field<&C::issuer, &I::max_in_flight>(), 1, 1024,
     "requests to the online or offline CA at once; further phones wait in line"},
    {"issuer.online", "protocol", field<&C::issuer, &I::online, &O::protocol>(), 0, 0,
     "adcs | scep | acme | cfssl"},
    {"issuer.online", "url", field<&C::issuer, &I::online, &O::url>(), 0, 0,
     "the CA's address (acme: its directory URL)"},
    {"issuer.online", "ca_chain_file", field<&C::issuer, &I::online, &O::ca_chain_file>(), 0, 0,
     "PEM: the CA that signs LSCs, up to its root"},
    {"issuer.online", "key_types", field<&C::issuer, &I::online, &O::key_types>(), 0, 0,
     "what the CA can issue, e.g. [\"rsa:2048\", \"ec:p256\"]; empty: per protocol"},
    {"issuer.online", "username", field<&C::issuer, &I::online, &O::username>(), 0, 0,
     "adcs: DOMAIN\\user or user@domain"},
    {"issuer.online", "password_file", field<&C::issuer, &I::online, &O::password_file>(), 0, 0,
     "adcs password, scep challenge or cfssl HMAC key (hex)"},
    {"issuer.online", "password_env", field<&C::issuer, &I::online, &O::password_env>(), 0, 0,
     "or the name of an environment variable holding it"},
    {"issuer.online", "auth", field<&C::issuer, &I::online, &O::auth>(), 0, 0,
     "adcs: ntlm | basic"},
    {"issuer.online", "template", field<&C::issuer, &I::online, &O::template_name>(), 0, 0,
     "adcs certificate template"},
    {"issuer.online", "profile", field<&C::issuer, &I::online, &O::profile>(), 0, 0,
     "cfssl signing profile"},
    {"issuer.online", "acme_account_key_file",
     field<&C::issuer, &I::online, &O::acme_account_key_file>(), 0, 0, "created on first use"},
    {"issuer.online", "acme_email", field<&C::issuer, &I::online, &O::acme_email>(), 0, 0, ""},
    {"issuer.online", "acme_identifier_suffix",
     field<&C::issuer, &I::online, &O::acme_identifier_suffix>(), 0, 0,
     "identifier = lower-case device name + this"},
    {"issuer.online", "timeout_seconds", field<&C::issuer, &I::online, &O::timeout_seconds>(), 1,
     600, "each HTTP exchange"},
    {"issuer.online", "retries", field<&C::issuer, &I::online, &O::retries>(), 0, 10,
     "after a network error, with doubling backoff"},
    {"issuer.online", "retry_backoff_ms", field<&C::issuer, &I::online, &O::retry_backoff_ms>(), 0,
     60000, ""},
    {"issuer.online", "poll_seconds", field<&C::issuer, &I::online, &O::poll_seconds>(), 1, 86400,
     "how often requests the CA holds are asked for again"},
    {"issuer.offline", "ca_chain_file",
     field<&C::issuer, &I::offline, &OfflineCaConfig::ca_chain_file>(), 0, 0,
     "PEM: the offline CA, up to its root"},
    {"issuer.offline", "key_types", field<&C::issuer, &I::offline, &OfflineCaConfig::key_types>(),
     0, 0, "empty: any RSA or EC size phones can make"},
    {"store", "backend", field<&C::store, &StoreConfig::backend>(), 0, 0, ""},
    {"store", "sqlite_path", field<&C::store, &StoreConfig::sqlite_path>(), 0, 0, ""},
    {"store", "sqlite_synchronous_full", field<&C::store, &StoreConfig::sqlite_synchronous_full>(),
     0, 0, "false: survives a process crash, not a power loss"},
    {"store", "url", field<&C::store, &StoreConfig::url>(), 0, 0,
     "postgresql://USER@HOST:PORT/DATABASE: a PostgreSQL registry nodes share"},
    {"store", "password_file", field<&C::store, &StoreConfig::password_file>(), 0, 0,
     "its password's file (never a password in the url)"},
    {"cluster", "node_name", field<&C::cluster, &ClusterConfig::node_name>(), 0, 0,
     "unique per node; empty: the host name"},
    {"cluster", "lease_seconds", field<&C::cluster, &ClusterConfig::lease_seconds>(), 15, 3600,
     "a dead node's device claims lapse after this"},
    {"cluster", "heartbeat_seconds", field<&C::cluster, &ClusterConfig::heartbeat_seconds>(), 1,
     300, "how often a node says it is alive and renews its claims"},
    {"cluster", "passphrase_file", field<&C::cluster, &ClusterConfig::passphrase_file>(), 0, 0,
     "encrypts the CAPF key in the database (or OPENCAPF_CLUSTER_PASSPHRASE)"},
    {"admin", "listen", field<&C::admin, &A::listen>(), 0, 0,
     "HOST:PORT of the admin REST API (docs/api.md), e.g. \"127.0.0.1:8443\""},
    {"admin", "cert_file", field<&C::admin, &A::cert_file>(), 0, 0,
     "its certificate and key (PEM); empty: admin-cert.pem and"},
    {"admin", "key_file", field<&C::admin, &A::key_file>(), 0, 0,
     "admin-key.pem, made by `opencapf init` (never the CAPF key)"},
    {"admin", "max_connections", field<&C::admin, &A::max_connections>(), 1, 100000, ""},
    {"admin", "max_connections_per_address", field<&C::admin, &A::max_connections_per_address>(), 0,
     100000, "per client address (0 = no limit)"},
    {"admin", "max_handshakes_per_address", field<&C::admin, &A::max_handshakes_per_address>(), 0,
     100000, "TLS handshakes in progress per client address"},
    {"admin", "request_timeout_seconds", field<&C::admin, &A::request_timeout_seconds>(), 1, 3600,
     "to read one request"},
    {"admin", "max_body_kib", field<&C::admin, &A::max_body_kib>(), 1, 65536,
     "larger request bodies are refused (413)"},
    {"admin", "auth_failures_per_minute", field<&C::admin, &A::auth_failures_per_minute>(), 1,
     100000, "per client address; then 429 until the minute is over"},
    {"log", "format", field<&C::log, &LogConfig::format>(), 0, 0,
     "text | json (one JSON object per line)"},
    {"log", "level", field<&C::log, &LogConfig::level>(), 0, 0,
     "trace | debug | info | warn | error | off"},
};

std::string toml_quoted(std::string_view v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\')
      out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::span<const Setting> settings() {
  return kSettings;
}

std::string setting_toml(const Setting& s, const Config& config) {
  struct Render {
    const Config& c;
    std::string operator()(const SettingField<int>& f) const {
      return fmt::format("{}", f.read(c));
    }
    std::string operator()(const SettingField<bool>& f) const {
      return f.read(c) ? "true" : "false";
    }
    std::string operator()(const SettingField<std::string>& f) const {
      return toml_quoted(f.read(c));
    }
    std::string operator()(const SettingField<IssuerMode>& f) const {
      return toml_quoted(to_string(f.read(c)));
    }
    std::string operator()(const SettingField<OnlineProtocol>& f) const {
      return toml_quoted(to_string(f.read(c)));
    }
    std::string operator()(const SettingField<std::vector<std::string>>& f) const {
      std::string out = "[";
      const auto& v = f.read(c);
      for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + toml_quoted(v[i]);
      return out + "]";
    }
  };
  return std::visit(Render{config}, s.ref);
}

}  // namespace capf
