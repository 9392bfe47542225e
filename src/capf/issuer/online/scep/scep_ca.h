// What a SCEP server says about itself (RFC 8894 §3.5): GetCACaps, its capabilities; GetCACert, its
// CA certificate alone or with its RA certificates; and which of those certificates opencapf
// encrypts requests to and accepts reply signatures from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/issuer/online/scep/scep_message.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::scep {

struct Capabilities {
  std::vector<std::string> keywords;  // as the CA sent them, one a line
  bool aes = false;
  bool des3 = false;
  bool sha256 = false;
  bool sha512 = false;
  bool post_pki_operation = false;
  bool standard = false;  // "SCEPStandard": AES, SHA-256 and POSTPKIOperation (RFC 8894 §3.5.2)

  // AES-128-CBC when offered (or implied by SCEPStandard), else triple DES.
  ContentCipher cipher() const;
  // SHA-256 when offered (or implied), else SHA-1 (the digest every SCEP CA takes).
  pki::Hash hash() const;
  bool use_post() const { return post_pki_operation || standard; }
  std::string summary() const;  // "AES SHA-256 POSTPKIOperation ..." for messages
};

// Parses a GetCACaps body: keywords one a line, case-insensitive, blank lines and unknown keywords
// ignored. An empty body (or a CA without GetCACaps) leaves everything off: DES3 and SHA-1.
Capabilities parse_capabilities(std::string_view body);

struct CaCertificates {
  pki::Certificate ca;                      // the CA that signs the certificates
  pki::Certificate recipient;               // requests are encrypted to it: the RA's, or the CA
  std::vector<pki::Certificate> signers;    // may sign replies: the CA, RA certificates for signing
  std::vector<pki::Certificate> ra;         // RA certificates (not CA:TRUE), possibly none
  std::vector<pki::Certificate> ca_others;  // other CA certificates sent (intermediates, roots)
};

// Parses a GetCACert body: one DER certificate (application/x-x509-ca-cert) or a degenerate
// PKCS#7 with the CA and its RA certificates (application/x-x509-ca-ra-cert); PEM is accepted too.
// Among several CA certificates the one equal to `configured_ca` (ca_chain.front()) is the CA, else
// the lowest one (not the issuer of another one sent). The RA encryption certificate is the first
// RA certificate whose keyUsage allows keyEncipherment, the RA signers those allowing
// digitalSignature (a certificate without keyUsage allows both). kMalformed when
// the body holds no certificate, or only RA certificates.
Result<CaCertificates> parse_ca_certificates(ByteView body, const pki::Certificate* configured_ca);

// Checks the server's certificates against the configured chain (nearest issuer first): the CA
// must be ca_chain.front(), or chain to ca_chain's root, and every RA certificate must chain to the
// CA. kPermissionDenied naming what differs and what to change; kInvalidArgument when ca_chain is
// empty.
Status check_against_chain(const CaCertificates& certificates,
                           const std::vector<pki::Certificate>& ca_chain, TimePoint now);

}  // namespace capf::scep
