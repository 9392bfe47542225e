// AdcsIssuer: the Online CA mode as CUCM does it — Microsoft AD CS web enrollment ("certsrv")
// over HTTPS with NTLM (or Basic), docs/spec/adcs-web-enrollment.md. The phone-signed PKCS#10 goes
// to certfnsh.asp with the configured certificate template; the answer page says issued (the
// certificate is then fetched from certnew.cer), pending ("taken under submission": the request
// id is the ticket) or denied (with the CA's disposition message).
//
// Errors of issue(), retrieve(), fetch_ca_chain() and check():
//   kUnavailable, kUntrusted ("CA Communication Failure"): the CA cannot be reached, times out,
//     answers an HTTP error or a page opencapf does not recognise (another language), or its
//     HTTPS certificate does not verify.
//   kPermissionDenied ("CA Rejected Connection"): HTTP 401 (bad credentials) or 403, a denied
//     request (the message keeps the CA's disposition message word for word), a request the CA
//     does not know, or a certificate without the phone's key or outside [issuer.online] ca_chain.
//   kInvalidArgument: a request without the phone-signed CSR, a ticket that is not a request id,
//     and (check() only) a CA chain that does not contain the configured one.
// All calls block on the network (HttpClient timeouts and retries): call them from a worker
// thread. The object holds no mutable state: calls may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/online/http_client.h"
#include "capf/issuer/online/online_ca_settings.h"

namespace capf {

class AdcsIssuer final : public Issuer, public DeferredIssuer, public CheckableIssuer {
 public:
  // Checks the settings and prepares the HTTP client; does no I/O. kInvalidArgument naming the
  // [issuer.online] key to fix: a url that is not https://, no template, no username or password,
  // an auth other than "ntlm" or "basic", an empty ca_chain.
  static Result<std::unique_ptr<AdcsIssuer>> create(OnlineCaSettings settings, const Clock& clock);

  // "online adcs https://ca.example.net/certsrv (template CiscoRA)".
  std::string describe() const override;
  IssuerMode mode() const override { return IssuerMode::kOnline; }
  bool needs_signed_request() const override { return true; }
  // settings.key_types when given; else RSA 1024..4096 only (CUCM refuses ECDSA with Online CA;
  // an admin whose template issues ECDSA lists ec:p256 in key_types).
  bool supports(const KeySpec& key) const override;

  // POSTs the request to certfnsh.asp (Mode=newreq) and reads the answer page. Issued: the
  // certificate from certnew.cer, checked with accept_issued(); pending: PendingIssue{ticket =
  // the request id, detail "taken under submission (request id N)"}.
  Result<IssueOutcome> issue(const IssueRequest& request) override;

  // GETs certnew.cer for the request id in `ticket`: Issued when the CA returns a certificate
  // (checked against ca_chain; the ticket carries no key, so comparing the certificate's key with
  // the one the phone made is the caller's part), PendingIssue while it is "Taken Under
  // Submission", kPermissionDenied when it was denied or the CA does not know the request.
  Result<IssueOutcome> retrieve(const std::string& ticket) override;

  // The CA's current certificate chain: certcarc.asp for the renewal count K, then
  // certnew.p7b?ReqID=CACert&Renewal=K&Enc=b64; nearest the CA first, root last.
  Result<std::vector<pki::Certificate>> fetch_ca_chain();

  // What `opencapf issuer set` runs before it saves the settings: the credentials open
  // <url>/ (200, not 401), and the CA's chain contains the first certificate of ca_chain (the CA
  // that signs LSCs). The refusal names both sides when the chains differ (kInvalidArgument).
  Status check() override;

 private:
  AdcsIssuer(OnlineCaSettings settings, const Clock& clock, std::unique_ptr<HttpClient> http);

  Result<HttpResponse> get(const std::string& path);
  Result<HttpResponse> post_form(const std::string& path, const std::string& body);
  // 200 passes; 401, 403 and other statuses become the errors of the contract above.
  Result<HttpResponse> expect_ok(Result<HttpResponse> response, const std::string& path) const;
  // certnew.cer for request `id`; `request` is the phone's when known (issue), else null.
  Result<IssueOutcome> fetch_issued(const std::string& id, const IssueRequest* request);
  Error unrecognised(std::string_view body) const;

  OnlineCaSettings settings_;
  const Clock& clock_;
  std::unique_ptr<HttpClient> http_;
  std::string base_url_;  // settings.url without a trailing '/'
};

}  // namespace capf
