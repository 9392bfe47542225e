// The values of the shared cluster settings: "capf.identity" and "issuer" as JSON, and the
// cluster passphrase that encrypts the CAPF key in them.
#include <cstdlib>
#include <tuple>

#include <nlohmann/json.hpp>

#include "capf/common/file.h"
#include "capf/service/cluster_sync.h"

namespace capf {

namespace {

constexpr int kFormat = 1;
constexpr std::string_view kRepublish =
    "run `opencapf ca regenerate` or `opencapf ca import` on a node whose identity works to "
    "publish it again";

Error corrupt(std::string_view what) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("the shared CAPF identity in the database (cluster setting {}) is "
                           "corrupt: {}; {}",
                           kIdentitySetting, what, kRepublish)};
}

std::vector<std::string> pems_of(const std::vector<pki::Certificate>& certs) {
  std::vector<std::string> out;
  for (const auto& c : certs)
    out.push_back(c.pem());
  return out;
}

Result<std::vector<pki::Certificate>> certs_of(const nlohmann::json& list, const char* what) {
  std::vector<pki::Certificate> out;
  for (const auto& pem : list) {
    auto cert = pki::Certificate::from_pem(pem.get<std::string>());
    if (!cert)
      return corrupt(fmt::format("its {} holds something that is not a certificate", what));
    out.push_back(std::move(cert).value());
  }
  return out;
}

}  // namespace

bool is_clustered(const Config& config) {
  return config.store.backend == "postgresql" || !config.store.url.empty();
}

Result<std::string> cluster_passphrase(const Config& config) {
  const std::filesystem::path file = config.path_in_data(config.cluster.passphrase_file);
  if (const char* env = std::getenv(std::string(kClusterPassphraseEnv).c_str());
      env != nullptr && *env != '\0') {
    return std::string(env);
  }
  auto text = read_file_if_exists(file);
  std::string line;
  if (text && *text)
    line = (*text)->substr(0, (*text)->find('\n'));
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  if (line.empty()) {
    return make_error(ErrorCode::kNotFound,
                      "no cluster passphrase: write it (the same on every node) as the first line "
                      "of {} (mode 0600), or set {}",
                      file.string(), kClusterPassphraseEnv);
  }
  return line;
}

Result<std::string> encode_identity(const CapfIdentity& identity,
                                    const std::vector<pki::Certificate>& previous,
                                    const std::string& key_uri, std::string_view passphrase) {
  nlohmann::json value{{"format", kFormat},
                       {"certificate", identity.certificate.pem()},
                       {"chain", pems_of(identity.chain)},
                       {"previous", pems_of(previous)}};
  if (!key_uri.empty()) {
    value["key_uri"] = key_uri;
  } else {
    // PKCS#8 with AES-256-CBC under PBKDF2 (PrivateKey::to_pem with a passphrase).
    CAPF_ASSIGN_OR_RETURN(std::string key_pem, identity.key.to_pem(passphrase));
    value["key"] = key_pem;
  }
  return value.dump();
}

Result<SharedIdentity> decode_identity(std::string_view text, std::string_view passphrase) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    return corrupt("it is not JSON");
  if (value.value("format", 0) != kFormat)
    return corrupt(fmt::format("format {} is not {}", value.value("format", 0), kFormat));
  const bool has_key = value.contains("key") && value["key"].is_string();
  const bool has_uri = value.contains("key_uri") && value["key_uri"].is_string();
  if (!value.contains("certificate") || !value["certificate"].is_string() ||
      !value.value("chain", nlohmann::json()).is_array() ||
      !value.value("previous", nlohmann::json()).is_array() || has_key == has_uri) {
    return corrupt("it lacks the certificate, chain, previous certificates or key");
  }
  auto cert = pki::Certificate::from_pem(value["certificate"].get<std::string>());
  if (!cert)
    return corrupt("its certificate does not parse");
  SharedIdentity out{std::move(cert).value(), {}, {}, std::nullopt, {}};
  CAPF_ASSIGN_OR_RETURN(out.chain, certs_of(value["chain"], "chain"));
  CAPF_ASSIGN_OR_RETURN(out.previous, certs_of(value["previous"], "previous certificates"));
  if (has_uri) {
    out.key_uri = value["key_uri"].get<std::string>();
    return out;
  }
  const std::string key_pem = value["key"].get<std::string>();
  if (key_pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") == std::string::npos)
    return corrupt("its key is not an encrypted PKCS#8 key");
  auto key = pki::PrivateKey::from_pem(key_pem, passphrase);
  if (!key) {
    return make_error(ErrorCode::kPermissionDenied,
                      "this node's cluster passphrase does not decrypt the CAPF key in the "
                      "database: give it the passphrase of the first node ([cluster] "
                      "passphrase_file or {})",
                      kClusterPassphraseEnv);
  }
  if (key->spki_der() != out.certificate.spki_der())
    return corrupt(fmt::format("its key is not the key of {}", out.certificate.subject()));
  out.key = std::move(key).value();
  return out;
}

Result<std::string> encode_issuer(const Config& config) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, file] : {std::pair{"online", config.issuer.online.ca_chain_file},
                                   std::pair{"offline", config.issuer.offline.ca_chain_file}}) {
    if (file.empty())
      continue;
    CAPF_ASSIGN_OR_RETURN(std::string text, read_file(config.path_in_data(file)));
    files[name] = text;
  }
  return nlohmann::json{
      {"format", kFormat}, {"toml", issuer_config_text(config.issuer)}, {"chain_files", files}}
      .dump();
}

Result<SharedIssuer> decode_issuer(std::string_view text, const Config& local) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object() || value.value("format", 0) != kFormat ||
      !value.contains("toml") || !value["toml"].is_string()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the shared [issuer] settings in the database (cluster setting {}) are "
                      "corrupt: run `opencapf issuer set` on a node to publish them again",
                      kIssuerSetting);
  }
  auto config = parse_issuer_config(value["toml"].get<std::string>());
  if (!config)
    return config.error().with_context("the shared [issuer] settings in the database");
  SharedIssuer out{std::move(config).value(), {}};
  const nlohmann::json files = value.value("chain_files", nlohmann::json::object());
  for (auto [name, file, mine] :
       {std::tuple{"online", &out.config.online.ca_chain_file, local.issuer.online.ca_chain_file},
        std::tuple{"offline", &out.config.offline.ca_chain_file,
                   local.issuer.offline.ca_chain_file}}) {
    if (file->empty() || !files.contains(name) || !files[name].is_string())
      continue;
    const std::string chain = files[name].get<std::string>();
    // This node's own file when it holds the same certificates; a copy in the data directory
    // otherwise.
    if (!mine.empty()) {
      auto held = read_file_if_exists(local.path_in_data(mine));
      if (held && *held && **held == chain) {
        *file = mine;
        continue;
      }
    }
    const std::filesystem::path copy = local.data_dir / fmt::format("issuer-{}-chain.pem", name);
    out.files.emplace_back(copy, chain);
    *file = copy.string();
  }
  return out;
}

}  // namespace capf
