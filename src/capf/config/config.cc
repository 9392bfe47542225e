#include "capf/config/config.h"

#include "capf/config/config_internal.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <span>
#include <sstream>

#include <toml++/toml.h>

namespace capf {

namespace config_detail {

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(ErrorCode::kIo, "cannot read {}", path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace config_detail

namespace {

using config_detail::read_file;

// Reads one value of type T at table[key] if present; type errors name the key.
template <typename T>
Status read_value(const toml::table& table, std::string_view section, std::string_view key,
                  T& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr)
    return ok();
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node->value<bool>()) {
      out = *v;
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be true or false", section, key);
  } else if constexpr (std::is_same_v<T, int>) {
    if (node->is_integer()) {
      out = static_cast<int>(*node->value<std::int64_t>());
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a whole number", section, key);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node->value<std::string>()) {
      out = *v;
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a quoted string", section, key);
  } else {
    static_assert(std::is_same_v<T, std::vector<std::string>>);
    if (const toml::array* arr = node->as_array()) {
      out.clear();
      for (const toml::node& item : *arr) {
        auto v = item.value<std::string>();
        if (!v) {
          return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a list of strings",
                            section, key);
        }
        out.push_back(*v);
      }
      return ok();
    }
    if (auto v = node->value<std::string>()) {
      out = {*v};
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a list of strings", section,
                      key);
  }
}

const toml::table* section_of(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  return node == nullptr ? nullptr : node->as_table();
}

Status check_known_keys(const toml::table& root) {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kKnown = {
      {"server",
       {"listen", "max_sessions", "max_connections_per_address", "max_handshakes_per_address",
        "io_threads", "worker_threads", "legacy_tls"}},
      {"timeouts", {"handshake_seconds", "read_seconds", "keygen_seconds", "keygen_max_seconds"}},
      {"lsc", {"validity_days"}},
      {"crl", {"next_update_days"}},
      {"renewal", {"renew_before_days", "check_minutes"}},
      {"auth", {"max_string_attempts", "accept_expired_mic", "allow_rsa_512"}},
      {"operations", {"default_deadline_days"}},
      {"capf", {"cert_file", "key_file", "chain_file", "passphrase_file", "passphrase_env"}},
      {"store", {"backend", "sqlite_path", "sqlite_synchronous_full"}},
      {"log", {"format", "level"}},
      {"admin",
       {"listen", "cert_file", "key_file", "max_connections", "max_connections_per_address",
        "max_handshakes_per_address", "request_timeout_seconds", "max_body_kib",
        "auth_failures_per_minute"}},
      {"issuer", {"mode", "online", "offline"}},
  };
  for (const auto& [key, node] : root) {
    // A named copy: clang 14 cannot capture a structured binding in a lambda (fuzz build).
    const std::string section(key.str());
    auto it = std::find_if(kKnown.begin(), kKnown.end(),
                           [&](const auto& s) { return s.first == section; });
    if (it == kKnown.end()) {
      return make_error(ErrorCode::kInvalidArgument, "unknown section [{}] in opencapf.toml",
                        key.str());
    }
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "{} in opencapf.toml must be a [section]",
                        key.str());
    }
    for (const auto& [sub, _] : *t) {
      if (std::find(it->second.begin(), it->second.end(), sub.str()) == it->second.end()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "unknown setting {} in [{}] of opencapf.toml", sub.str(), key.str());
      }
    }
  }
  return ok();
}

}  // namespace

namespace {
Status check_range(std::string_view key, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return make_error(ErrorCode::kInvalidArgument, "{} = {} is out of range: use {} to {}", key,
                      value, lo, hi);
  }
  return ok();
}
}  // namespace

namespace {

constexpr std::string_view kOnlineKeys[] = {"protocol",
                                            "url",
                                            "ca_chain_file",
                                            "key_types",
                                            "username",
                                            "password_file",
                                            "password_env",
                                            "auth",
                                            "template",
                                            "profile",
                                            "acme_account_key_file",
                                            "acme_email",
                                            "acme_identifier_suffix",
                                            "timeout_seconds",
                                            "retries",
                                            "retry_backoff_ms",
                                            "poll_seconds"};
constexpr std::string_view kOfflineKeys[] = {"ca_chain_file", "key_types"};

Status check_keys(const toml::table& t, std::string_view section,
                  std::span<const std::string_view> known) {
  for (const auto& [key, _] : t) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      return make_error(ErrorCode::kInvalidArgument, "unknown setting {} in [{}] of opencapf.toml",
                        key.str(), section);
    }
  }
  return ok();
}

Status read_issuer(const toml::table& root, IssuerConfig& out) {
  const toml::table* issuer = section_of(root, "issuer");
  if (issuer == nullptr)
    return ok();
  CAPF_TRY(read_value(*issuer, "issuer", "mode", out.mode));
  if (const toml::node* n = issuer->get("online")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "issuer.online must be a [issuer.online] section");
    }
    CAPF_TRY(check_keys(*t, "issuer.online", kOnlineKeys));
    OnlineCaConfig& o = out.online;
    constexpr std::string_view kS = "issuer.online";
    CAPF_TRY(read_value(*t, kS, "protocol", o.protocol));
    CAPF_TRY(read_value(*t, kS, "url", o.url));
    CAPF_TRY(read_value(*t, kS, "ca_chain_file", o.ca_chain_file));
    CAPF_TRY(read_value(*t, kS, "key_types", o.key_types));
    CAPF_TRY(read_value(*t, kS, "username", o.username));
    CAPF_TRY(read_value(*t, kS, "password_file", o.password_file));
    CAPF_TRY(read_value(*t, kS, "password_env", o.password_env));
    CAPF_TRY(read_value(*t, kS, "auth", o.auth));
    CAPF_TRY(read_value(*t, kS, "template", o.template_name));
    CAPF_TRY(read_value(*t, kS, "profile", o.profile));
    CAPF_TRY(read_value(*t, kS, "acme_account_key_file", o.acme_account_key_file));
    CAPF_TRY(read_value(*t, kS, "acme_email", o.acme_email));
    CAPF_TRY(read_value(*t, kS, "acme_identifier_suffix", o.acme_identifier_suffix));
    CAPF_TRY(read_value(*t, kS, "timeout_seconds", o.timeout_seconds));
    CAPF_TRY(read_value(*t, kS, "retries", o.retries));
    CAPF_TRY(read_value(*t, kS, "retry_backoff_ms", o.retry_backoff_ms));
    CAPF_TRY(read_value(*t, kS, "poll_seconds", o.poll_seconds));
  }
  if (const toml::node* n = issuer->get("offline")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "issuer.offline must be a [issuer.offline] section");
    }
    CAPF_TRY(check_keys(*t, "issuer.offline", kOfflineKeys));
    CAPF_TRY(read_value(*t, "issuer.offline", "ca_chain_file", out.offline.ca_chain_file));
    CAPF_TRY(read_value(*t, "issuer.offline", "key_types", out.offline.key_types));
  }
  return ok();
}

Status validate_key_types(std::string_view section, const std::vector<std::string>& types) {
  for (const auto& t : types) {
    bool ok_type = false;
    if (t.rfind("rsa:", 0) == 0) {
      ok_type = t == "rsa:1024" || t == "rsa:2048" || t == "rsa:3072" || t == "rsa:4096";
    } else {
      ok_type = t == "ec:p256" || t == "ec:p384" || t == "ec:p521";
    }
    if (!ok_type) {
      return make_error(ErrorCode::kInvalidArgument,
                        "[{}] key_types has \"{}\": use rsa:1024, rsa:2048, rsa:3072, rsa:4096, "
                        "ec:p256, ec:p384 or ec:p521",
                        section, t);
    }
  }
  return ok();
}

}  // namespace

Status config_detail::validate_issuer(const IssuerConfig& c) {
  if (c.mode != "capf" && c.mode != "online" && c.mode != "offline") {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer] mode = \"{}\": use \"capf\", \"online\" or \"offline\"", c.mode);
  }
  const OnlineCaConfig& o = c.online;
  CAPF_TRY(validate_key_types("issuer.online", o.key_types));
  CAPF_TRY(validate_key_types("issuer.offline", c.offline.key_types));
  CAPF_TRY(check_range("[issuer.online] timeout_seconds", o.timeout_seconds, 1, 600));
  CAPF_TRY(check_range("[issuer.online] retries", o.retries, 0, 10));
  CAPF_TRY(check_range("[issuer.online] retry_backoff_ms", o.retry_backoff_ms, 0, 60000));
  CAPF_TRY(check_range("[issuer.online] poll_seconds", o.poll_seconds, 1, 86400));
  if (!o.password_file.empty() && !o.password_env.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] sets both password_file and password_env: keep one");
  }
  if (c.mode == "online") {
    static constexpr std::string_view kProtocols[] = {"adcs", "scep", "acme", "cfssl"};
    if (std::find(std::begin(kProtocols), std::end(kProtocols), o.protocol) ==
        std::end(kProtocols)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "[issuer.online] protocol = \"{}\": use adcs, scep, acme or cfssl",
                        o.protocol);
    }
    if (o.url.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "[issuer.online] url is empty: give the CA's address, e.g. "
                        "https://ca.example.net/certsrv");
    }
    if (o.ca_chain_file.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "[issuer.online] ca_chain_file is empty: give the PEM file of the CA that "
                        "signs LSCs, up to its root");
    }
    if (o.protocol == "adcs") {
      if (o.auth != "ntlm" && o.auth != "basic") {
        return make_error(ErrorCode::kInvalidArgument,
                          "[issuer.online] auth = \"{}\": use \"ntlm\" or \"basic\"", o.auth);
      }
      if (o.template_name.empty() || o.username.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "[issuer.online] adcs needs template and username (and password_file or "
                          "password_env)");
      }
    }
  }
  if (c.mode == "offline" && c.offline.ca_chain_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.offline] ca_chain_file is empty: give the PEM file of the offline "
                      "CA, up to its root");
  }
  return ok();
}

using config_detail::validate_issuer;

Result<IssuerConfig> parse_issuer_config(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return make_error(ErrorCode::kInvalidArgument, "opencapf.toml line {} column {}: {}",
                      where.line, where.column, e.description());
  }
  IssuerConfig c;
  CAPF_TRY(read_issuer(root, c));
  CAPF_TRY(validate_issuer(c));
  return c;
}

Result<Config> Config::parse(std::string_view toml_text, const std::filesystem::path& data_dir) {
  Config c;
  c.data_dir = data_dir;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return make_error(ErrorCode::kInvalidArgument, "opencapf.toml line {} column {}: {}",
                      where.line, where.column, e.description());
  }
  CAPF_TRY(check_known_keys(root));
  if (const auto* s = section_of(root, "server")) {
    CAPF_TRY(read_value(*s, "server", "listen", c.server.listen));
    CAPF_TRY(read_value(*s, "server", "max_sessions", c.server.max_sessions));
    CAPF_TRY(read_value(*s, "server", "max_connections_per_address",
                        c.server.max_connections_per_address));
    CAPF_TRY(read_value(*s, "server", "max_handshakes_per_address",
                        c.server.max_handshakes_per_address));
    CAPF_TRY(read_value(*s, "server", "io_threads", c.server.io_threads));
    CAPF_TRY(read_value(*s, "server", "worker_threads", c.server.worker_threads));
    CAPF_TRY(read_value(*s, "server", "legacy_tls", c.server.legacy_tls));
  }
  if (const auto* s = section_of(root, "timeouts")) {
    CAPF_TRY(read_value(*s, "timeouts", "handshake_seconds", c.timeouts.handshake_seconds));
    CAPF_TRY(read_value(*s, "timeouts", "read_seconds", c.timeouts.read_seconds));
    CAPF_TRY(read_value(*s, "timeouts", "keygen_seconds", c.timeouts.keygen_seconds));
    CAPF_TRY(read_value(*s, "timeouts", "keygen_max_seconds", c.timeouts.keygen_max_seconds));
  }
  if (const auto* s = section_of(root, "lsc")) {
    CAPF_TRY(read_value(*s, "lsc", "validity_days", c.lsc.validity_days));
  }
  if (const auto* s = section_of(root, "crl")) {
    CAPF_TRY(read_value(*s, "crl", "next_update_days", c.crl.next_update_days));
  }
  if (const auto* s = section_of(root, "renewal")) {
    CAPF_TRY(read_value(*s, "renewal", "renew_before_days", c.renewal.renew_before_days));
    CAPF_TRY(read_value(*s, "renewal", "check_minutes", c.renewal.check_minutes));
  }
  if (const auto* s = section_of(root, "auth")) {
    CAPF_TRY(read_value(*s, "auth", "max_string_attempts", c.auth.max_string_attempts));
    CAPF_TRY(read_value(*s, "auth", "accept_expired_mic", c.auth.accept_expired_mic));
    CAPF_TRY(read_value(*s, "auth", "allow_rsa_512", c.auth.allow_rsa_512));
  }
  if (const auto* s = section_of(root, "operations")) {
    CAPF_TRY(
        read_value(*s, "operations", "default_deadline_days", c.operations.default_deadline_days));
  }
  if (const auto* s = section_of(root, "capf")) {
    CAPF_TRY(read_value(*s, "capf", "cert_file", c.capf.cert_file));
    CAPF_TRY(read_value(*s, "capf", "key_file", c.capf.key_file));
    CAPF_TRY(read_value(*s, "capf", "chain_file", c.capf.chain_file));
    CAPF_TRY(read_value(*s, "capf", "passphrase_file", c.capf.passphrase_file));
    CAPF_TRY(read_value(*s, "capf", "passphrase_env", c.capf.passphrase_env));
  }
  if (const auto* s = section_of(root, "store")) {
    CAPF_TRY(read_value(*s, "store", "backend", c.store.backend));
    CAPF_TRY(read_value(*s, "store", "sqlite_path", c.store.sqlite_path));
    CAPF_TRY(read_value(*s, "store", "sqlite_synchronous_full", c.store.sqlite_synchronous_full));
  }
  CAPF_TRY(read_issuer(root, c.issuer));
  if (const auto* s = section_of(root, "admin")) {
    CAPF_TRY(read_value(*s, "admin", "listen", c.admin.listen));
    CAPF_TRY(read_value(*s, "admin", "cert_file", c.admin.cert_file));
    CAPF_TRY(read_value(*s, "admin", "key_file", c.admin.key_file));
    CAPF_TRY(read_value(*s, "admin", "max_connections", c.admin.max_connections));
    CAPF_TRY(read_value(*s, "admin", "max_connections_per_address",
                        c.admin.max_connections_per_address));
    CAPF_TRY(
        read_value(*s, "admin", "max_handshakes_per_address", c.admin.max_handshakes_per_address));
    CAPF_TRY(read_value(*s, "admin", "request_timeout_seconds", c.admin.request_timeout_seconds));
    CAPF_TRY(read_value(*s, "admin", "max_body_kib", c.admin.max_body_kib));
    CAPF_TRY(read_value(*s, "admin", "auth_failures_per_minute", c.admin.auth_failures_per_minute));
  }
  if (const auto* s = section_of(root, "log")) {
    CAPF_TRY(read_value(*s, "log", "format", c.log.format));
    CAPF_TRY(read_value(*s, "log", "level", c.log.level));
  }
  CAPF_TRY(c.validate());
  return c;
}

Result<Config> Config::load(const std::filesystem::path& data_dir) {
  std::filesystem::path file = data_dir / "opencapf.toml";
  std::string text;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    CAPF_ASSIGN_OR_RETURN(text, read_file(file));
  }
  auto parsed = parse(text, data_dir);
  if (!parsed)
    return parsed.error().with_context(file.string());
  Config c = std::move(parsed).value();
  if (const char* v = std::getenv("OPENCAPF_LOG_FORMAT"); v != nullptr && *v != '\0') {
    c.log.format = v;
  }
  if (const char* v = std::getenv("OPENCAPF_LOG_LEVEL"); v != nullptr && *v != '\0') {
    c.log.level = v;
  }
  if (const char* v = std::getenv("OPENCAPF_LISTEN"); v != nullptr && *v != '\0') {
    c.server.listen = {v};
  }
  auto valid = c.validate();
  if (!valid)
    return valid.error().with_context("environment");
  return c;
}

Status Config::validate() const {
  if (server.listen.empty()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "[server] listen is empty: give at least one HOST:PORT, e.g. \"0.0.0.0:3804\"");
  }
  for (const auto& l : server.listen) {
    auto hp = parse_host_port(l);
    if (!hp)
      return hp.error().with_context("[server] listen");
  }
  CAPF_TRY(check_range("[server] max_sessions", server.max_sessions, 1, 1000000));
  CAPF_TRY(check_range("[server] max_connections_per_address", server.max_connections_per_address,
                       0, 1000000));
  CAPF_TRY(check_range("[server] max_handshakes_per_address", server.max_handshakes_per_address, 0,
                       1000000));
  if (!admin.listen.empty()) {
    auto hp = parse_host_port(admin.listen);
    if (!hp)
      return hp.error().with_context("[admin] listen");
  }
  if (admin.cert_file.empty() != admin.key_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[admin] has {} but no {}: set both cert_file and key_file, or neither to "
                      "use admin-cert.pem and admin-key.pem from `opencapf init`",
                      admin.cert_file.empty() ? "key_file" : "cert_file",
                      admin.cert_file.empty() ? "cert_file" : "key_file");
  }
  CAPF_TRY(check_range("[admin] max_connections", admin.max_connections, 1, 100000));
  CAPF_TRY(check_range("[admin] max_connections_per_address", admin.max_connections_per_address, 0,
                       100000));
  CAPF_TRY(check_range("[admin] max_handshakes_per_address", admin.max_handshakes_per_address, 0,
                       100000));
  CAPF_TRY(check_range("[admin] request_timeout_seconds", admin.request_timeout_seconds, 1, 3600));
  CAPF_TRY(check_range("[admin] max_body_kib", admin.max_body_kib, 1, 65536));
  CAPF_TRY(
      check_range("[admin] auth_failures_per_minute", admin.auth_failures_per_minute, 1, 100000));
  CAPF_TRY(check_range("[server] io_threads", server.io_threads, 0, 256));
  CAPF_TRY(check_range("[server] worker_threads", server.worker_threads, 0, 256));
  CAPF_TRY(check_range("[timeouts] handshake_seconds", timeouts.handshake_seconds, 1, 600));
  CAPF_TRY(check_range("[timeouts] read_seconds", timeouts.read_seconds, 1, 3600));
  CAPF_TRY(check_range("[timeouts] keygen_seconds", timeouts.keygen_seconds, 1, 7200));
  CAPF_TRY(check_range("[timeouts] keygen_max_seconds", timeouts.keygen_max_seconds,
                       timeouts.keygen_seconds, 86400));
  CAPF_TRY(check_range("[lsc] validity_days", lsc.validity_days, 1, 3650));
  CAPF_TRY(check_range("[auth] max_string_attempts", auth.max_string_attempts, 1, 100));
  CAPF_TRY(check_range("[crl] next_update_days", crl.next_update_days, 1, 365));
  CAPF_TRY(check_range("[renewal] renew_before_days", renewal.renew_before_days, 0, 3650));
  CAPF_TRY(check_range("[renewal] check_minutes", renewal.check_minutes, 1, 10080));
  CAPF_TRY(
      check_range("[operations] default_deadline_days", operations.default_deadline_days, 0, 3650));
  if (store.backend != "sqlite") {
    return make_error(ErrorCode::kInvalidArgument,
                      "[store] backend = \"{}\" is not supported: use \"sqlite\"", store.backend);
  }
  if (log.format != "text" && log.format != "json") {
    return make_error(ErrorCode::kInvalidArgument, "log format \"{}\": use \"text\" or \"json\"",
                      log.format);
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), log.level) == std::end(kLevels)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "log level \"{}\": use trace, debug, info, warn, error or off", log.level);
  }
  CAPF_TRY(validate_issuer(issuer));
  if (!capf.passphrase_file.empty() && !capf.passphrase_env.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[capf] sets both passphrase_file and passphrase_env: keep one");
  }
  return ok();
}

std::filesystem::path Config::path_in_data(const std::string& file) const {
  std::filesystem::path p(file);
  return p.is_absolute() ? p : data_dir / p;
}

namespace {

// A secret referenced by an environment variable or a file (trailing newlines dropped); nullopt
// when neither is set. `section` names the settings in errors.
Result<std::optional<std::string>> read_secret(const Config& config, std::string_view section,
                                               std::string_view env_key, const std::string& env,
                                               std::string_view file_key, const std::string& file) {
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "[{}] {} names {} but that variable is not set: export it before "
                        "starting opencapf",
                        section, env_key, env);
    }
    return std::optional<std::string>(v);
  }
  if (!file.empty()) {
    auto text = read_file(config.path_in_data(file));
    if (!text)
      return text.error().with_context(fmt::format("[{}] {}", section, file_key));
    std::string value = std::move(text).value();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
      value.pop_back();
    return std::optional<std::string>(std::move(value));
  }
  return std::optional<std::string>();
}

}  // namespace

Result<std::optional<std::string>> Config::key_passphrase() const {
  return read_secret(*this, "capf", "passphrase_env", capf.passphrase_env, "passphrase_file",
                     capf.passphrase_file);
}

Result<std::optional<std::string>> Config::online_secret() const {
  return read_secret(*this, "issuer.online", "password_env", issuer.online.password_env,
                     "password_file", issuer.online.password_file);
}

Result<HostPort> parse_host_port(std::string_view text) {
  auto fail = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      "'{}' is not HOST:PORT: use e.g. 127.0.0.1:3804, 0.0.0.0:3804 or [::]:3804",
                      text);
  };
  HostPort hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail();
    }
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return fail();
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (hp.host.empty() || port_text.empty() || port_text.size() > 5)
    return fail();
  unsigned port = 0;
  for (char ch : port_text) {
    if (ch < '0' || ch > '9')
      return fail();
    port = port * 10 + static_cast<unsigned>(ch - '0');
  }
  if (port > 65535)
    return fail();
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

}  // namespace capf
