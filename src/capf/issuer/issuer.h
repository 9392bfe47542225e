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
#include "capf/pki/certificate.h"

namespace capf {

struct IssueRequest {
  std::string device_name;
  Bytes spki_der;                // the phone's SubjectPublicKeyInfo
  KeySpec key;                   // what the SPKI holds
  std::optional<Bytes> csr_der;  // the phone-signed PKCS#10 (external modes, spec §6.10)
  std::string session;           // for the issuer's own logs
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

  // "capf", "online" or "offline": the mode shown to admins and in logs.
  virtual std::string_view mode() const = 0;
  // Whether issue() needs IssueRequest::csr_der (the phone must sign a request, spec §6.10).
  virtual bool needs_signed_request() const = 0;
  // Whether this issuer can certify a key of this kind (checked before the phone makes the key).
  virtual bool supports(const KeySpec& key) const = 0;

  // Blocks (signing, or a network call for external CAs): call from a worker thread. Errors:
  // kInvalidArgument for a request this issuer cannot take, kUnavailable when the CA cannot be
  // reached ("CA Communication Failure"), kPermissionDenied when the CA refuses ("CA Rejected
  // Connection"); the message keeps the CA's own words.
  virtual Result<IssueOutcome> issue(const IssueRequest& request) = 0;
};

}  // namespace capf
