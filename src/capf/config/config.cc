#include "capf/config/config.h"

#include "capf/common/file.h"
#include "capf/common/pkcs11_uri.h"
#include "capf/config/config_internal.h"
#include "capf/config/settings_table.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <variant>

#include <toml++/toml.h>

namespace capf {

Result<IssuerMode> parse_issuer_mode(std::string_view text) {
  if (auto v = parse_spelling(kIssuerModeSpellings, text, false))
    return *v;
  return make_error(ErrorCode::kInvalidArgument,
                    "[issuer] mode = \"{}\": use \"capf\", \"online\" or \"offline\"", text);
}

Result<OnlineProtocol> parse_online_protocol(std::string_view text) {
  if (auto v = parse_spelling(kOnlineProtocolSpellings, text, false);
      v && *v != OnlineProtocol::kNone)
    return *v;
  return make_error(ErrorCode::kInvalidArgument,
                    "[issuer.online] protocol = \"{}\": use adcs, scep, acme or cfssl", text);
}

namespace {

// Reads one value of type T from `node`; type errors name the setting.
template <typename T>
Status read_value(const toml::node& node, std::string_view section, std::string_view key, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node.value<bool>()) {
      out = *v;
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be true or false", section, key);
  } else if constexpr (std::is_same_v<T, int>) {
    if (node.is_integer()) {
      out = static_cast<int>(*node.value<std::int64_t>());
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a whole number", section, key);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node.value<std::string>()) {
      out = *v;
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a quoted string", section, key);
  } else if constexpr (std::is_same_v<T, IssuerMode> || std::is_same_v<T, OnlineProtocol>) {
    std::string text;
    CAPF_TRY(read_value(node, section, key, text));
    if constexpr (std::is_same_v<T, IssuerMode>) {
      CAPF_ASSIGN_OR_RETURN(out, parse_issuer_mode(text));
    } else if (text.empty()) {
      out = OnlineProtocol::kNone;  // not set: only online mode needs it
    } else {
      CAPF_ASSIGN_OR_RETURN(out, parse_online_protocol(text));
    }
    return ok();
  } else {
    static_assert(std::is_same_v<T, std::vector<std::string>>);
    if (const toml::array* arr = node.as_array()) {
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
    if (auto v = node.value<std::string>()) {
      out = {*v};
      return ok();
    }
    return make_error(ErrorCode::kInvalidArgument, "[{}] {} must be a list of strings", section,
                      key);
  }
}

// A section of the settings table ("issuer" is one: it holds [issuer] mode and the sub-tables).
bool is_section(std::string_view name) {
  return std::any_of(settings().begin(), settings().end(), [&](const Setting& s) {
    return s.section == name || (s.section.size() > name.size() && s.section.starts_with(name) &&
                                 s.section[name.size()] == '.');
  });
}

bool is_setting(std::string_view section, std::string_view key) {
  return std::any_of(settings().begin(), settings().end(),
                     [&](const Setting& s) { return s.section == section && s.key == key; });
}

Error not_a_section(std::string_view section) {
  return make_error(ErrorCode::kInvalidArgument, "{} in opencapf.toml must be a [{}] section",
                    section, section);
}

// Every key of `table` (the section `section`, "" for the file) names a setting or a section.
Status check_known_keys(const toml::table& table, std::string_view section) {
  for (const auto& [name, node] : table) {
    const std::string key(name.str());
    const std::string sub = section.empty() ? key : fmt::format("{}.{}", section, key);
    if (is_section(sub)) {
      const toml::table* t = node.as_table();
      if (t == nullptr)
        return not_a_section(sub);
      CAPF_TRY(check_known_keys(*t, sub));
    } else if (section.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "unknown section [{}] in opencapf.toml", key);
    } else if (!is_setting(section, key)) {
      return make_error(ErrorCode::kInvalidArgument, "unknown setting {} in [{}] of opencapf.toml",
                        key, section);
    }
  }
  return ok();
}

// The table of a dotted section ("issuer.online"); nullptr when the file does not have it.
Result<const toml::table*> table_of(const toml::table& root, std::string_view section) {
  const toml::table* t = &root;
  std::string_view rest = section;
  while (t != nullptr && !rest.empty()) {
    const auto dot = rest.find('.');
    const toml::node* node = t->get(rest.substr(0, dot));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (node == nullptr)
      return nullptr;
    t = node->as_table();
    if (t == nullptr)
      return not_a_section(section);
  }
  return t;
}

// Reads the settings whose section starts with `prefix` ("" for all) into `out`.
Status read_settings(const toml::table& root, std::string_view prefix, Config& out) {
  for (const Setting& s : settings()) {
    if (!s.section.starts_with(prefix))
      continue;
    CAPF_ASSIGN_OR_RETURN(const toml::table* t, table_of(root, s.section));
    const toml::node* node = t == nullptr ? nullptr : t->get(s.key);
    if (node == nullptr)
      continue;
    CAPF_TRY(std::visit(
        [&](const auto& f) { return read_value(*node, s.section, s.key, f.get(out)); }, s.ref));
  }
  return ok();
}

Status check_range(std::string_view key, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return make_error(ErrorCode::kInvalidArgument, "{} = {} is out of range: use {} to {}", key,
                      value, lo, hi);
  }
  return ok();
}

// The table's range of every whole-number setting in the [issuer] sections (`issuer`) or in the
// others.
Status check_ranges(const Config& c, bool issuer) {
  for (const Setting& s : settings()) {
    const auto* f = std::get_if<SettingField<int>>(&s.ref);
    if (f != nullptr && s.section.starts_with("issuer") == issuer)
      CAPF_TRY(check_range(fmt::format("[{}] {}", s.section, s.key), f->read(c), s.min, s.max));
  }
  return ok();
}

Result<toml::table> parse_toml(std::string_view toml_text) {
  try {
    return toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return make_error(ErrorCode::kInvalidArgument, "opencapf.toml line {} column {}: {}",
                      where.line, where.column, e.description());
  }
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
  const OnlineCaConfig& o = c.online;
  CAPF_TRY(validate_key_types("issuer.online", o.key_types));
  CAPF_TRY(validate_key_types("issuer.offline", c.offline.key_types));
  {
    Config whole;
    whole.issuer = c;
    CAPF_TRY(check_ranges(whole, true));
  }
  if (!o.password_file.empty() && !o.password_env.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] sets both password_file and password_env: keep one");
  }
  if (c.mode == IssuerMode::kOnline) {
    if (o.protocol == OnlineProtocol::kNone)
      return parse_online_protocol("").error();
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
    if (o.protocol == OnlineProtocol::kAdcs) {
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
  if (c.mode == IssuerMode::kOffline && c.offline.ca_chain_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.offline] ca_chain_file is empty: give the PEM file of the offline "
                      "CA, up to its root");
  }
  return ok();
}

using config_detail::validate_issuer;

Result<IssuerConfig> parse_issuer_config(std::string_view toml_text) {
  CAPF_ASSIGN_OR_RETURN(const toml::table root, parse_toml(toml_text));
  CAPF_ASSIGN_OR_RETURN(const toml::table* issuer, table_of(root, "issuer"));
  if (issuer != nullptr)
    CAPF_TRY(check_known_keys(*issuer, "issuer"));
  Config c;
  CAPF_TRY(read_settings(root, "issuer", c));
  CAPF_TRY(validate_issuer(c.issuer));
  return c.issuer;
}

Result<Config> Config::parse(std::string_view toml_text, const std::filesystem::path& data_dir) {
  Config c;
  c.data_dir = data_dir;
  CAPF_ASSIGN_OR_RETURN(const toml::table root, parse_toml(toml_text));
  CAPF_TRY(check_known_keys(root, ""));
  CAPF_TRY(read_settings(root, "", c));
  CAPF_TRY(c.validate());
  return c;
}

namespace {

// The file's text; "" (all defaults) when it does not exist.
Result<std::string> config_text(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    return std::string();
  return read_file(file);
}

}  // namespace

std::filesystem::path config_file(const std::filesystem::path& data_dir) {
  return data_dir / "opencapf.toml";
}

Result<IssuerConfig> load_issuer_config(const std::filesystem::path& data_dir) {
  const std::filesystem::path file = config_file(data_dir);
  CAPF_ASSIGN_OR_RETURN(std::string text, config_text(file));
  auto parsed = parse_issuer_config(text);
  if (!parsed)
    return parsed.error().with_context(file.string());
  return parsed;
}

Result<Config> Config::load(const std::filesystem::path& data_dir) {
  const std::filesystem::path file = config_file(data_dir);
  CAPF_ASSIGN_OR_RETURN(std::string text, config_text(file));
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
  if (const char* v = std::getenv("OPENCAPF_STORE"); v != nullptr && *v != '\0') {
    c.store.url = v;  // also what --store sets
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
  CAPF_TRY(check_ranges(*this, false));
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
  // A PKCS#11 URI may carry the token PIN (RFC 7512 pin-value), but opencapf.toml is not secret and
  // a cluster publishes the URI to the shared registry.
  if (pkcs11_uri_has_pin(capf.key_file)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[capf] key_file holds the token PIN (pin-value=): remove it from the URI "
                      "and put the PIN in [capf] passphrase_file or passphrase_env");
  }
  // The lower bound of keygen_max_seconds is another setting, beyond the table's range.
  CAPF_TRY(check_range("[timeouts] keygen_max_seconds", timeouts.keygen_max_seconds,
                       timeouts.keygen_seconds, 86400));
  if (store.backend != "sqlite" && store.backend != "postgresql") {
    return make_error(ErrorCode::kInvalidArgument,
                      "[store] backend = \"{}\" is not supported: use \"sqlite\" or \"postgresql\"",
                      store.backend);
  }
  if (store.backend == "postgresql" && store.url.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[store] backend = \"postgresql\" needs the database: set [store] url = "
                      "\"postgresql://USER@HOST:PORT/DATABASE\" (or --store, or OPENCAPF_STORE)");
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
  if (cluster.heartbeat_seconds * 2 > cluster.lease_seconds) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[cluster] heartbeat_seconds = {} is more than half of lease_seconds = {}: a "
                      "live node's claims could lapse between two heartbeats; lower "
                      "heartbeat_seconds or raise lease_seconds",
                      cluster.heartbeat_seconds, cluster.lease_seconds);
  }
  CAPF_TRY(validate_issuer(issuer));
  if (!capf.passphrase_file.empty() && !capf.passphrase_env.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[capf] sets both passphrase_file and passphrase_env: keep one");
  }
  return ok();
}

std::string Config::node_name() const {
  if (!cluster.node_name.empty())
    return cluster.node_name;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0')
    return "localhost";
  return std::string(host.data());
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
