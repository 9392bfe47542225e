// The CA side of SCEP, written for the tests with OpenSSL's PKCS7 API directly (not with the
// connector's encoder): CA and RA certificates, certificates-only PKCS#7, CertRep replies in every
// pkiStatus, and a reader that opens a request the way a CA does. It stands in for a SCEP CA where
// micromdm's scepserver cannot: scepserver never answers PENDING and never sends RA certificates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::testing::scep_pki {

struct Identity {
  pki::Certificate certificate;
  pki::PrivateKey key;
};

// A self-signed RSA-2048 CA (CA:TRUE, keyCertSign).
Identity make_ca(const std::string& common_name);
// An RSA-2048 certificate issued by `issuer` with this keyUsage ("keyEncipherment",
// "digitalSignature", "keyCertSign", comma-separated), CA:TRUE when `ca`.
Identity make_issued(const std::string& common_name, const Identity& issuer,
                     const std::string& key_usage, bool ca = false);
// A certificate for `spki_der` issued by `issuer` (the LSC a CA would return).
pki::Certificate issue_for(const Bytes& spki_der, const std::string& common_name,
                           const Identity& issuer);

// DER of a certificates-only (degenerate) PKCS#7 SignedData.
Bytes certificates_only(const std::vector<pki::Certificate>& certificates);

enum class Cipher { kDes, kDes3, kAes128 };
// DER of a PKCS#7 EnvelopedData of `content` for `recipient`.
Bytes envelope(const Bytes& content, const pki::Certificate& recipient, Cipher cipher);

struct CertRepFields {
  std::string message_type = "3";
  std::string pki_status;  // "0", "2", "3"
  std::optional<std::string> fail_info;
  std::optional<std::string> fail_info_text;
  std::string transaction_id;
  Bytes recipient_nonce;
  std::optional<Bytes> content;  // absent: a SignedData without content (FAILURE, PENDING)
};
// DER of a CertRep signed (SHA-256) by `signer`.
Bytes cert_rep(const CertRepFields& fields, const Identity& signer);

// A request opened as a CA opens it.
struct OpenedRequest {
  bool signature_verifies = false;  // with the certificate the request carries
  std::vector<pki::Certificate> certificates;
  std::string message_type;
  std::string transaction_id;
  Bytes sender_nonce;
  std::string digest;  // of the signer info: "SHA256", "SHA1"
  std::string cipher;  // of the envelope: "AES-128-CBC", "DES-EDE3-CBC"
  Bytes content;       // decrypted with the CA's (or RA's) key
};
// Empty optional when the bytes are not a SignedData around an EnvelopedData for `recipient`.
std::optional<OpenedRequest> open_request(const Bytes& der, const Identity& recipient);

}  // namespace capf::testing::scep_pki
