// Shared pieces of the adcs tests: a phone-signed request, connector settings for a stand-in,
// and run_shell (tests/support/shell.h) for the real command-line peers (openssl, curl).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

#include "capf/issuer/issuer.h"
#include "capf/issuer/online/online_ca_settings.h"
#include "capf/pki/csr.h"
#include "capf/pki/key.h"
#include "tests/support/adcs_standin/adcs_standin.h"
#include "tests/support/shell.h"

namespace capf::testing {

inline constexpr char kPassword[] = "S3cret-Pa55";
inline constexpr char kUser[] = "EXAMPLE\\svc-capf";

// A key as the phone makes it and the PKCS#10 it signs (docs/protocol.md §6.10).
struct PhoneRequest {
  pki::PrivateKey key;
  IssueRequest request;
};

inline PhoneRequest make_phone_request(KeySpec spec = KeySpec{KeyType::kRsa, 2048},
                                       const std::string& device = "SEP001122334455") {
  auto key = pki::PrivateKey::generate(spec);
  if (!key)
    throw std::runtime_error(key.error().message);
  auto info = pki::build_request_info("CN=" + device, key->spki_der());
  if (!info)
    throw std::runtime_error(info.error().message);
  auto sig = key->sign(pki::Hash::kSha256, *info);
  if (!sig)
    throw std::runtime_error(sig.error().message);
  auto csr = pki::assemble_csr(*info, pki::Hash::kSha256, *sig);
  if (!csr)
    throw std::runtime_error(csr.error().message);
  return PhoneRequest{*key, IssueRequest{device, key->spki_der(), spec, *csr, "test"}};
}

inline StandinOptions standin_options(StandinAuth auth = StandinAuth::kNtlm) {
  StandinOptions options;
  options.account.domain = "EXAMPLE";
  options.account.username = "svc-capf";
  options.account.password = kPassword;
  options.auth = auth;
  return options;
}

// Starts a stand-in with the templates the tests use: CiscoRA issues, Manual waits for an
// administrator, Refuse denies with `refuse_message`.
inline std::unique_ptr<AdcsStandin> start_standin(StandinAuth auth = StandinAuth::kNtlm,
                                                  const std::string& refuse_message = "") {
  auto standin = AdcsStandin::start(standin_options(auth));
  if (!standin)
    throw std::runtime_error(standin.error().message);
  (*standin)->set_template("CiscoRA", TemplateBehaviour::kIssue);
  (*standin)->set_template("Manual", TemplateBehaviour::kPending);
  (*standin)->set_template("Refuse", TemplateBehaviour::kDeny, refuse_message);
  return std::move(*standin);
}

inline OnlineCaSettings settings_for(const AdcsStandin& standin, const std::string& auth = "ntlm") {
  OnlineCaSettings s;
  s.protocol = "adcs";
  s.url = standin.url();
  s.ca_chain = {standin.ca_certificate()};
  s.username = kUser;
  s.secret = kPassword;
  s.auth = auth;
  s.template_name = "CiscoRA";
  s.http.trust = {standin.ca_certificate()};
  s.http.retries = 0;
  s.http.connect_timeout = std::chrono::seconds(5);
  s.http.timeout = std::chrono::seconds(10);
  return s;
}

}  // namespace capf::testing
