// CfsslIssuer: Online CA mode against a CFSSL signing server (`cfssl serve`). The phone-signed
// PKCS#10 (docs/protocol.md §6.10) goes to /api/v1/cfssl/sign, or to /api/v1/cfssl/authsign with an
// HMAC token when a secret (the profile's hex auth key) is configured; the certificate CFSSL
// returns is checked against the phone's key and the configured CA chain before it is used.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/online/http_client.h"
#include "capf/issuer/online/online_ca_settings.h"

namespace capf {

class CfsslIssuer final : public Issuer, public CheckableIssuer {
 public:
  // kInvalidArgument when the url is not http(s), no CA chain is configured, or the secret is not
  // hex. Does no I/O (check() talks to CFSSL).
  static Result<std::unique_ptr<CfsslIssuer>> create(OnlineCaSettings settings, const Clock& clock);

  // "online cfssl http://ca.example.net:8888 (profile phone)".
  std::string describe() const override;
  IssuerMode mode() const override { return IssuerMode::kOnline; }
  bool needs_signed_request() const override { return true; }
  // settings.key_types when given; otherwise what CFSSL signs: RSA 2048/3072/4096, EC P-256/384.
  bool supports(const KeySpec& key) const override;

  // One POST; blocks up to the HTTP client's bound; thread-safe. Errors:
  //   kInvalidArgument   no phone-signed request, a key type not supported, or a request whose
  //                      key is not the phone's
  //   kUnavailable       CFSSL cannot be reached, or answers with something that is not its API
  //   kUntrusted         CFSSL's HTTPS certificate does not verify against settings.http.trust
  //   kPermissionDenied  CFSSL refused ("cfssl refused the request: 400 invalid token ..."), or
  //                      its certificate is for another key or does not chain to the CA chain
  Result<IssueOutcome> issue(const IssueRequest& request) override;

  // The prerequisites `opencapf issuer set` checks, without issuing anything (blocks):
  // - CFSSL signs with the first certificate of settings.ca_chain (asks /api/v1/cfssl/info);
  // - without a secret, the profile is not answered exactly as CFSSL's default profile (CFSSL
  //   silently signs with the default for a profile it does not know);
  // - the credentials fit the profile: a sign/authsign call with a text that is no CSR must fail
  //   on the CSR, not on the token ("invalid token", "authentication required", "no
  //   authentication provider").
  // kInvalidArgument for a wrong CA chain or profile, kPermissionDenied for refused credentials,
  // and issue()'s transport errors.
  Status check() override;

 private:
  CfsslIssuer(OnlineCaSettings settings, std::string base_url, Bytes auth_key,
              std::unique_ptr<HttpClient> http, const Clock& clock);

  // Posts `sign_request` (the JSON of a CFSSL sign request) to sign, or to authsign wrapped with
  // its token when an auth key is configured. Transport errors only.
  Result<HttpResponse> post_sign(const std::string& sign_request);
  Result<HttpResponse> post(std::string_view path, const std::string& body);
  std::string url(std::string_view path) const { return base_url_ + std::string(path); }

  OnlineCaSettings settings_;
  std::string base_url_;  // settings.url without a trailing '/'
  Bytes auth_key_;        // empty: plain /sign
  std::unique_ptr<HttpClient> http_;
  const Clock& clock_;
};

}  // namespace capf
