// Config: everything opencapf reads from opencapf.toml and the environment, as plain structs with
// defaults. This folder is the only place that parses configuration; everything else receives these
// structs. Secrets are referenced (a file or an environment variable), never written inline.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/domain/issuer_mode.h"

namespace capf {

struct ServerConfig {
  std::vector<std::string> listen = {"127.0.0.1:3804"};  // HOST:PORT, [v6]:PORT
  int max_sessions = 20000;  // concurrent phone sessions; more are closed at once
  // Per source address, so that one host cannot take every session (0 = no limit). Phones behind
  // one NAT address share these: raise them for such sites.
  int max_connections_per_address = 32;
  int max_handshakes_per_address = 8;  // TLS handshakes in progress
  int io_threads = 0;                  // 0 = one per core
  int worker_threads = 0;              // blocking work (registry, signing); 0 = one per core
  bool legacy_tls = false;  // allow TLS 1.0/1.1 at security level 0 for 7900-series phones
};

struct TimeoutConfig {
  int handshake_seconds = 15;
  int read_seconds = 30;          // every read of a phone message but the key-generation answer
  int keygen_seconds = 300;       // wait for the key; restarted by each REQUEST_IN_PROGRESS
  int keygen_max_seconds = 1800;  // whole key-generation wait, however many REQUEST_IN_PROGRESS
};

struct LscConfig {
  int validity_days = 365;  // 1..3650
};

struct CrlConfig {
  int next_update_days = 7;  // how far ahead a CRL's nextUpdate lies (1..365)
};

// The trust lists the server keeps where phones download them (docs/trust-lists.md §7).
struct ItlConfig {
  // A directory, usually the TFTP root: ITLFile.tlv is rewritten there atomically whenever the
  // signer or the CAPF certificates change. "" = off. Relative to the data directory if relative.
  std::string publish_dir;
  bool publish_ctl = false;  // CTLFile.tlv there too
};

struct RenewalConfig {
  // LSCs that expire within this many days are scheduled for install/upgrade, authenticated by
  // the existing LSC, so phones renew at their next contact (CUCM has no such thing). 0 = off.
  int renew_before_days = 0;
  int check_minutes = 60;  // how often the server looks for them
};

struct AuthConfig {
  int max_string_attempts = 3;     // wrong authentication strings before the operation locks
  bool accept_expired_mic = true;  // many 79xx MICs have expired; LSCs are always time-checked
  bool allow_rsa_512 = false;      // legacy phones only
};

struct OperationConfig {
  int default_deadline_days = 10;  // CUCM's "CAPF Operation Expires in (days)"
};

struct CapfIdentityConfig {
  std::string cert_file = "capf-cert.pem";  // relative to the data directory
  std::string key_file = "capf-key.pem";
  std::string chain_file = "capf-chain.pem";  // issuers above the CAPF certificate, if any
  std::string passphrase_file;                // the key's passphrase, if encrypted
  std::string passphrase_env;                 // or the name of an environment variable
};

// The enum (domain/issuer_mode.h) for its word in opencapf.toml; kInvalidArgument naming the
// accepted words otherwise.
Result<IssuerMode> parse_issuer_mode(std::string_view text);
Result<OnlineProtocol> parse_online_protocol(std::string_view text);

// Where LSCs come from (docs/architecture.md §4): CAPF signs them (capf), an external CA is asked
// at once (online), or requests wait for an administrator to have them signed elsewhere (offline).
struct OnlineCaConfig {
  OnlineProtocol protocol = OnlineProtocol::kNone;  // adcs | scep | acme | cfssl
  std::string url;                     // adcs: https://ca.example.net/certsrv; scep: .../scep;
                                       // acme: the directory URL; cfssl: http(s)://host:8888
  std::string ca_chain_file;           // PEM: the CA that signs LSCs, up to its root
  std::vector<std::string> key_types;  // what the CA can issue, e.g. ["rsa:2048", "ec:p256"];
                                       // empty: the connector's own default
  // Credentials, referenced (a file or an environment variable), never inline.
  std::string username;       // adcs: DOMAIN\user or user@domain
  std::string password_file;  // adcs password, scep challenge, cfssl HMAC key (hex)
  std::string password_env;
  std::string auth = "ntlm";                               // adcs: ntlm | basic
  std::string template_name;                               // adcs certificate template
  std::string profile;                                     // cfssl signing profile
  std::string acme_account_key_file = "acme-account.pem";  // created on first use
  std::string acme_email;
  std::string acme_identifier_suffix;  // acme: identifier = lower-case device name + this
  int timeout_seconds = 20;            // each HTTP exchange
  int retries = 2;                     // after a network error, with doubling backoff
  int retry_backoff_ms = 500;
  int poll_seconds = 60;  // how often requests the CA holds are asked for again
};

struct OfflineCaConfig {
  std::string ca_chain_file;           // PEM: the CA that signs LSCs, up to its root
  std::vector<std::string> key_types;  // empty: any RSA or EC size phones can make
};

struct IssuerConfig {
  IssuerMode mode = IssuerMode::kCapf;  // capf | online | offline
  int max_in_flight = 32;               // requests in flight per CA; others wait in line
  OnlineCaConfig online;
  OfflineCaConfig offline;
};

struct StoreConfig {
  std::string backend = "sqlite";           // "sqlite" or "postgresql" (which needs `url`)
  std::string sqlite_path = "registry.db";  // relative to the data directory
  bool sqlite_synchronous_full = true;
  // postgresql://USER@HOST:PORT/DATABASE (or libpq's key=value form): the registry several nodes
  // share (docs/cluster.md); set, it selects PostgreSQL. Never with a password.
  std::string url;
  std::string password_file;  // the PostgreSQL password's file, relative to the data directory
};

// Several nodes on one PostgreSQL registry (docs/cluster.md). Ignored with SQLite.
struct ClusterConfig {
  std::string node_name;       // unique per node; "" = this machine's host name
  int lease_seconds = 60;      // a device claimed by a node that stops heartbeating is free after
  int heartbeat_seconds = 10;  // how often a node says it is alive and renews its claims
  // The cluster passphrase that encrypts the CAPF key in the database: a file (relative to the
  // data directory) whose first line it is; OPENCAPF_CLUSTER_PASSPHRASE overrides it.
  std::string passphrase_file = "cluster-passphrase";
};

// The admin REST API (docs/api.md): its own HTTPS listener, off unless `listen` is set.
struct AdminConfig {
  std::string listen;     // HOST:PORT, e.g. "127.0.0.1:8443"; "" = no admin API
  std::string cert_file;  // the listener's certificate (PEM, with its chain); "" = admin-cert.pem,
                          // made by `opencapf init` (or the first serve), never the CAPF one
  std::string key_file;   // its key (PEM, unencrypted); set both or neither
  int max_connections = 256;             // concurrent connections; more are closed at once
  int max_connections_per_address = 16;  // per client address (0 = no limit)
  int max_handshakes_per_address = 8;    // TLS handshakes in progress per client address
  int request_timeout_seconds = 30;      // to read one request (headers and body)
  int max_body_kib = 1024;               // larger request bodies get 413
  int auth_failures_per_minute = 10;     // per client address; then 429 until the minute is over
};

struct LogConfig {
  std::string format = "text";  // text | json
  std::string level = "info";   // trace | debug | info | warn | error
};

struct Config {
  std::filesystem::path data_dir;
  ServerConfig server;
  TimeoutConfig timeouts;
  LscConfig lsc;
  CrlConfig crl;
  RenewalConfig renewal;
  ItlConfig itl;
  AuthConfig auth;
  OperationConfig operations;
  CapfIdentityConfig capf;
  IssuerConfig issuer;
  StoreConfig store;
  ClusterConfig cluster;
  AdminConfig admin;
  LogConfig log;

  // Reads DATA_DIR/opencapf.toml if it exists (defaults otherwise), then the environment
  // (OPENCAPF_LOG_FORMAT, OPENCAPF_LOG_LEVEL, OPENCAPF_LISTEN, OPENCAPF_STORE), then validates.
  // Errors name the key, the bad value and the accepted range.
  static Result<Config> load(const std::filesystem::path& data_dir);
  // Parses TOML text (for tests and `config check`).
  static Result<Config> parse(std::string_view toml_text, const std::filesystem::path& data_dir);

  Status validate() const;
  // The file `opencapf init` writes: every setting with its default and a comment.
  static std::string default_file_text();
  // The same file with this configuration's values.
  std::string file_text() const;

  // [cluster] node_name, or this machine's host name when it is empty.
  std::string node_name() const;

  std::filesystem::path path_in_data(const std::string& file) const;
  // The key passphrase from passphrase_file or passphrase_env; nullopt when neither is set.
  Result<std::optional<std::string>> key_passphrase() const;
  // The online CA's secret (password, challenge or HMAC key) from its file or variable.
  Result<std::optional<std::string>> online_secret() const;
};

// DATA_DIR/opencapf.toml.
std::filesystem::path config_file(const std::filesystem::path& data_dir);

// Reads only the [issuer] sections of an opencapf.toml text (the part that may change while the
// server runs), validated.
Result<IssuerConfig> parse_issuer_config(std::string_view toml_text);
// The same from DATA_DIR/opencapf.toml (defaults when it does not exist); errors name the file.
Result<IssuerConfig> load_issuer_config(const std::filesystem::path& data_dir);
// The text of the [issuer] sections for `config`, for `opencapf issuer set` to write back.
std::string issuer_config_text(const IssuerConfig& config);
// Replaces the [issuer], [issuer.online] and [issuer.offline] sections of an opencapf.toml text,
// keeping every other line (and its comments) as it was.
std::string replace_issuer_sections(std::string_view toml_text, const IssuerConfig& config);

// Rewrites the [issuer] sections of the opencapf.toml in `data_dir` (creating the file if it does
// not exist), atomically; every other line stays as it was.
Status write_issuer_config(const std::filesystem::path& data_dir, const IssuerConfig& config);

// Splits "127.0.0.1:3804", "[::1]:3804", "host:3804" into host and port.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace capf
