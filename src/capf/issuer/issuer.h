// Issuer: turns a phone's public key (and, for external CAs, its signed request) into a
// certificate. Issuers never see the registry or the wire; the enrollment service records what they
// return.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/domain/issuer_mode.h"
#include "capf/pki/certificate.h"

namespace capf {

struct IssueRequest {
  std::string device_name;
  Bytes spki_der;                // the phone's SubjectPublicKeyInfo
  KeySpec key;                   // what the SPKI holds
  std::optional<Bytes> csr_der;  // phone-signed PKCS#10 (external modes, docs/protocol.md §6.10)
  std::string session;           // for the issuer's own logs
};

// What the phone-signed request (docs/protocol.md §6.10) must say for this issuer's CA, beyond the
// phone's key. The enrollment service builds the CertificationRequestInfo from it.
struct RequestTemplate {
  std::string common_name;             // default: the device name
  std::vector<std::string> dns_names;  // subjectAltName dNSName entries to ask for (ACME)
  std::optional<std::string> challenge_password;  // PKCS#9 challengePassword (SCEP)
};

struct Issued {
  pki::Certificate certificate;
  std::vector<pki::Certificate> chain;  // issuers above it, nearest first
};

// The CA took the request but has not answered yet (offline mode, "taken under submission").
struct PendingIssue {
  std::string ticket;
  std::string detail;
};

using IssueOutcome = std::variant<Issued, PendingIssue>;

class Issuer {
 public:
  virtual ~Issuer() = default;

  // One line for admins and logs: "capf", "online adcs https://ca.example.net/certsrv (CiscoRA)".
  virtual std::string describe() const { return std::string(to_string(mode())); }

  // Where this issuer's certificates come from: the mode shown to admins and in logs.
  virtual IssuerMode mode() const = 0;
  // Whether issue() needs IssueRequest::csr_der (the phone must sign a request,
  // docs/protocol.md §6.10).
  virtual bool needs_signed_request() const = 0;
  // Whether this issuer can certify a key of this kind (checked before the phone makes the key).
  virtual bool supports(const KeySpec& key) const = 0;
  // The names (and challenge) the phone-signed request must carry; only asked when
  // needs_signed_request(). The service adds the O/OU/L/ST/C of the CAPF subject to the subject.
  virtual RequestTemplate request_template(const std::string& device_name) const {
    return RequestTemplate{device_name, {}, std::nullopt};
  }

  // What the request queue may keep of a phone-signed request: by default all of it. An issuer
  // whose request carries a secret (SCEP's challenge password) returns it with the secret taken
  // out; its issue() then puts the secret back when the stored request is sent again.
  virtual Result<Bytes> stored_request(const Bytes& csr_der) const { return csr_der; }

  // Blocks (signing, or a network call for external CAs): call from a worker thread (the phone
  // session calls an online or offline issuer from its CA pool, behind the CA's gate). Errors:
  // kInvalidArgument for a request this issuer cannot take, kUnavailable when the CA cannot be
  // reached ("CA Communication Failure"), kPermissionDenied when the CA refuses ("CA Rejected
  // Connection"); the message keeps the CA's own words.
  virtual Result<IssueOutcome> issue(const IssueRequest& request) = 0;
};

// Issuers whose CA may answer later: a request "taken under submission" (AD CS), an ACME order
// still processing, a SCEP PENDING. The enrollment service keeps the ticket and asks again.
class DeferredIssuer {
 public:
  virtual ~DeferredIssuer() = default;
  // Asks the CA about a request it holds. Issued when ready; PendingIssue while the CA still holds
  // it; errors as Issuer::issue() (kPermissionDenied: the CA denied it). Blocks.
  virtual Result<IssueOutcome> retrieve(const std::string& ticket) = 0;
};

// Issuers whose CA can be asked, before an administrator switches to them, whether it will take
// their requests (the online connectors: TLS, host name, credentials, the CA's chain).
class CheckableIssuer {
 public:
  virtual ~CheckableIssuer() = default;
  // Reaches the CA. ok() when it is ready; otherwise the error says what is wrong and what to
  // change (errors as Issuer::issue()). Blocks.
  virtual Status check() = 0;
};

}  // namespace capf
