// OnlineCaSettings: an [issuer.online] configuration resolved for a connector — files read,
// secrets fetched, key types parsed — plus the trust anchors for the CA's HTTPS server.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "capf/domain/device.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/online/http_client.h"
#include "capf/pki/certificate.h"

namespace capf {

struct OnlineCaSettings {
  std::string protocol;  // adcs | scep | acme | cfssl
  std::string url;
  std::vector<pki::Certificate> ca_chain;  // the CA that signs LSCs, up to its root
  std::vector<KeySpec> key_types;          // what the CA can issue (connector default if empty)
  std::string username;
  std::optional<std::string> secret;  // password, SCEP challenge, or CFSSL HMAC key (hex)
  std::string auth = "ntlm";          // adcs: ntlm | basic
  std::string template_name;          // adcs
  std::string profile;                // cfssl
  std::filesystem::path acme_account_key_file;
  std::string acme_email;
  std::string acme_identifier_suffix;
  HttpClientOptions http;  // trust (capf-trust), timeouts, retries; auth filled per connector
};

// Checks a certificate a CA returned for `request`: it must carry the phone's public key, be
// currently valid, and chain to settings.ca_chain (with `extra_chain` as intermediates). Returns it
// with the chain to send, or kPermissionDenied naming what is wrong ("the CA returned a certificate
// for another key", "does not chain to the configured CA chain: ...").
Result<Issued> accept_issued(const pki::Certificate& certificate,
                             const std::vector<pki::Certificate>& extra_chain,
                             const IssueRequest& request,
                             const std::vector<pki::Certificate>& ca_chain, TimePoint now);

}  // namespace capf
