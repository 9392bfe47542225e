#include "capf/daemon/issuer_builder.h"

#include <netdb.h>

#include "capf/issuer/local/local_ca_issuer.h"
#include "capf/issuer/offline/offline_ca_issuer.h"
#include "capf/issuer/online/acme/acme_issuer.h"
#include "capf/issuer/online/adcs/adcs_issuer.h"
#include "capf/issuer/online/cfssl/cfssl_issuer.h"
#include "capf/issuer/online/scep/scep_issuer.h"

namespace capf {

namespace {

// The host part of an http(s) URL ("https://ca.example.net:8443/certsrv" → "ca.example.net").
std::string url_host(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[')
    return std::string(rest.substr(1, rest.find(']') - 1));
  return std::string(rest.substr(0, rest.find(':')));
}

bool resolves(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (result != nullptr)
    freeaddrinfo(result);
  return rc == 0;
}

// A connector's create() result as the shared Issuer.
template <typename Connector>
Result<std::shared_ptr<Issuer>> as_issuer(Result<std::unique_ptr<Connector>> made) {
  if (!made)
    return made.error();
  return std::shared_ptr<Issuer>(std::move(made).value());
}

}  // namespace

Result<std::vector<pki::Certificate>> IssuerBuilder::read_chain(const std::string& file,
                                                                std::string_view section) const {
  if (file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[{}] ca_chain_file is not set: give the PEM file of the CA that signs LSCs, "
                      "up to its root",
                      section);
  }
  auto chain = pki::read_certificates(base_.path_in_data(file));
  if (!chain)
    return chain.error().with_context(fmt::format("the CA chain ([{}] ca_chain_file)", section));
  return chain;
}

Result<std::vector<KeySpec>> IssuerBuilder::key_types(const std::vector<std::string>& names) const {
  std::vector<KeySpec> out;
  for (const auto& n : names) {
    CAPF_ASSIGN_OR_RETURN(KeySpec spec, parse_key_spec(n));
    out.push_back(spec);
  }
  return out;
}

Result<std::shared_ptr<Issuer>> IssuerBuilder::build(const IssuerConfig& config) {
  if (config.mode == IssuerMode::kCapf) {
    return std::shared_ptr<Issuer>(
        std::make_shared<LocalCaIssuer>(identity_, clock_, base_.lsc.validity_days));
  }
  if (config.mode == IssuerMode::kOffline) {
    CAPF_ASSIGN_OR_RETURN(auto chain, read_chain(config.offline.ca_chain_file, "issuer.offline"));
    CAPF_ASSIGN_OR_RETURN(auto types, key_types(config.offline.key_types));
    return std::shared_ptr<Issuer>(std::make_shared<OfflineCaIssuer>(types, std::move(chain)));
  }
  const OnlineCaConfig& o = config.online;
  OnlineCaSettings s;
  s.protocol = std::string(to_string(o.protocol));
  s.url = o.url;
  CAPF_ASSIGN_OR_RETURN(s.ca_chain, read_chain(o.ca_chain_file, "issuer.online"));
  CAPF_ASSIGN_OR_RETURN(s.key_types, key_types(o.key_types));
  s.username = o.username;
  Config with_issuer = base_;
  with_issuer.issuer = config;
  CAPF_ASSIGN_OR_RETURN(s.secret, with_issuer.online_secret());
  s.auth = o.auth;
  s.template_name = o.template_name;
  s.profile = o.profile;
  s.acme_account_key_file = base_.path_in_data(o.acme_account_key_file);
  s.acme_email = o.acme_email;
  s.acme_identifier_suffix = o.acme_identifier_suffix;
  // The CA's web server is trusted through capf-trust, as CUCM does.
  CAPF_ASSIGN_OR_RETURN(s.http.trust, trust_.anchors(kCapfTrust));
  s.http.timeout = std::chrono::seconds(o.timeout_seconds);
  s.http.connect_timeout = std::chrono::seconds(std::min(o.timeout_seconds, 10));
  s.http.retries = o.retries;
  s.http.retry_backoff = std::chrono::milliseconds(o.retry_backoff_ms);
  switch (o.protocol) {
    case OnlineProtocol::kCfssl:
      return as_issuer(CfsslIssuer::create(std::move(s), clock_));
    case OnlineProtocol::kAcme:
      return as_issuer(AcmeIssuer::create(std::move(s), clock_));
    case OnlineProtocol::kScep:
      return as_issuer(ScepIssuer::create(std::move(s), clock_));
    case OnlineProtocol::kAdcs:
      return as_issuer(AdcsIssuer::create(std::move(s), clock_));
    case OnlineProtocol::kNone:
      break;
  }
  return parse_online_protocol("").error();
}

std::vector<std::string> IssuerBuilder::check(const IssuerConfig& config) {
  std::vector<std::string> problems;
  if (config.mode == IssuerMode::kCapf)
    return problems;
  const bool online = config.mode == IssuerMode::kOnline;
  const std::string& chain_file =
      online ? config.online.ca_chain_file : config.offline.ca_chain_file;
  auto chain = read_chain(chain_file, online ? "issuer.online" : "issuer.offline");
  if (!chain) {
    problems.push_back(chain.error().message);
  } else {
    // The CA root in both stores, as CUCM requires: CAPF-trust to accept LSCs it signed,
    // CallManager-trust for the call-control side.
    const pki::Certificate& root = chain->back();
    const std::string file = base_.path_in_data(chain_file).string();
    for (const char* store : {kCapfTrust, kCallManagerTrust}) {
      auto entries = trust_.list(store);
      bool present = false;
      if (entries) {
        for (const auto& e : *entries)
          present |= e.fingerprint == root.fingerprint_sha256();
      }
      if (!present) {
        problems.push_back(
            fmt::format("the CA root {} is not in {}: run `opencapf trust add {} {}`",
                        root.subject(), store, store, file));
      }
    }
  }
  if (online) {
    const std::string host = url_host(config.online.url);
    if (host.empty()) {
      problems.push_back(
          fmt::format("[issuer.online] url \"{}\" has no host name", config.online.url));
      return problems;
    }
    if (!resolves(host)) {
      problems.push_back(fmt::format(
          "the CA host {} does not resolve: fix DNS, or put the name the CA's HTTPS certificate "
          "carries into /etc/hosts",
          host));
      return problems;
    }
    if (!problems.empty())
      return problems;  // the connector check needs a readable chain
    auto issuer = build(config);
    if (!issuer) {
      problems.push_back(issuer.error().message);
      return problems;
    }
    // The connector's own check reaches the CA: TLS, host name, credentials.
    if (auto* checkable = dynamic_cast<CheckableIssuer*>(issuer->get())) {
      Status reached = checkable->check();
      if (!reached)
        problems.push_back(reached.error().message);
    }
  }
  return problems;
}

}  // namespace capf
