// ScepIssuer: the Online CA connector for SCEP (RFC 8894) CAs such as Microsoft NDES or micromdm's
// scepserver. The phone signs its own PKCS#10 (docs/protocol.md §6.10) with the SCEP challenge
// password inside as a PKCS#9 challengePassword attribute (the only place RFC 8894 and the CAs read
// it, so the phone sees it); CAPF wraps it in a PKCSReq, and polls with CertPoll when the CA holds
// a request for approval. Stored requests keep the password redacted (scep_challenge.h).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/online/http_client.h"
#include "capf/issuer/online/online_ca_settings.h"

namespace capf {

namespace scep {
struct CertRep;
struct Requester;
struct RequestMessage;
}  // namespace scep

class ScepIssuer final : public Issuer, public DeferredIssuer, public CheckableIssuer {
 public:
  // settings.url is the SCEP endpoint ("http://ndes.example.net/certsrv/mscep/mscep.dll",
  // "http://127.0.0.1:8080/scep"); settings.ca_chain the CA that signs LSCs, nearest first;
  // settings.secret the challenge password (none for a CA that wants none). No I/O.
  // kInvalidArgument when the URL is not http(s), the CA chain is empty, or the HTTP client refuses
  // its options.
  static Result<std::unique_ptr<ScepIssuer>> create(OnlineCaSettings settings, const Clock& clock);

  IssuerMode mode() const override { return IssuerMode::kOnline; }
  std::string describe() const override;  // "online scep <url>"
  bool needs_signed_request() const override { return true; }
  // settings.key_types when configured, else RSA 2048, 3072 and 4096 only: SCEP CAs issue RSA in
  // practice (NDES templates for it; micromdm's scepserver refuses EC requests because it signs
  // with its RSA key under the request's ECDSA algorithm), and the protocol's own messages need an
  // RSA key at the CA.
  bool supports(const KeySpec& key) const override;
  // CN = the device name; challengePassword = settings.secret.
  RequestTemplate request_template(const std::string& device_name) const override;
  // What the request queue may keep of a phone-signed request: the challenge password redacted
  // (redact_challenge; its signature no longer verifies). kMalformed for a broken request.
  Result<Bytes> stored_request(const Bytes& csr_der) const override;
  // The reverse, with settings.secret (restore_challenge): what the phone signed. issue() does it
  // itself; callers that check the stored request's signature first need it too.
  Result<Bytes> sendable_request(const Bytes& stored_der) const;

  // GetCACaps and GetCACert (cached for ten minutes; the CA certificate must match the configured
  // chain before anything is sent to it, since the request carries the challenge password), then a
  // PKCSReq encrypted to the CA (or its RA) with AES and signed with SHA-256 when the CA offers
  // them (else triple DES and SHA-1), POSTed (or sent by GET when the CA lacks POSTPKIOperation).
  // The CertRep must be signed by the CA or its RA and echo our nonce. A csr_der from
  // stored_request gets settings.secret back first. Outcomes: Issued (checked with accept_issued),
  // PendingIssue (the ticket carries what retrieve() needs), or an error:
  //   kInvalidArgument   no csr_der, or one that does not parse; a redacted challenge that the
  //                      configured one (changed since) cannot replace
  //   kUnavailable       network failure or timeout, an unexpected HTTP status, an unreadable reply
  //   kUntrusted         TLS failure; a reply not signed by the CA/RA, or for another transaction
  //   kPermissionDenied  the CA refused: pkiStatus FAILURE ("scep failure: badRequest (2): ..."
  //                      with the CA's failInfoText), HTTP 400/401/403/500 (quoting the body), a CA
  //                      certificate other than the configured one, or a certificate that fails
  //                      accept_issued
  // Blocks for at most the HTTP client's bounds per exchange (three when nothing is cached).
  // Thread-safe: concurrent calls share only the cache.
  Result<IssueOutcome> issue(const IssueRequest& request) override;

  // Sends a CertPoll (messageType 20, GetCertInitial in older drafts) for the request the ticket
  // names, signed by the same requester identity, and handles the answer as issue() does (PENDING
  // returns the same ticket). kInvalidArgument for a ticket this issuer did not make. Blocks;
  // thread-safe.
  Result<IssueOutcome> retrieve(const std::string& ticket) override;

  // For `opencapf issuer set`: GetCACaps and GetCACert now, bypassing the cache; the CA
  // certificate must be the first certificate of settings.ca_chain or chain to the chain, and any
  // RA certificate must chain to the CA. Errors as issue(); kPermissionDenied names the certificate
  // the CA presents and the configured one. Refreshes the cache on success. Blocks; thread-safe.
  Status check() override;

  ~ScepIssuer() override;

 private:
  struct CaState;
  ScepIssuer(OnlineCaSettings settings, const Clock& clock, std::unique_ptr<HttpClient> http);

  Result<std::shared_ptr<const CaState>> ca_state();
  Result<std::shared_ptr<const CaState>> fetch_ca_state();
  std::string operation_url(std::string_view operation) const;
  // Builds, sends and decodes one PKIOperation; `what` names it in errors.
  Result<scep::CertRep> exchange(const CaState& state, const scep::RequestMessage& message,
                                 const scep::Requester& requester, std::string_view what);
  Result<Bytes> send_pki_operation(const CaState& state, ByteView message, std::string_view what);
  Result<IssueOutcome> conclude(const scep::CertRep& rep, const CaState& state,
                                const IssueRequest& request);

  OnlineCaSettings settings_;
  const Clock& clock_;
  std::unique_ptr<HttpClient> http_;
  std::mutex mutex_;
  std::shared_ptr<const CaState> cached_;  // guarded by mutex_
};

}  // namespace capf
