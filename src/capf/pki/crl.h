// Certificate revocation lists: making the CRL of the LSCs CAPF revoked, reading one back, and
// checking its signature. Pure: no files, no clock, no ledger (the caller supplies all of it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::pki {

// Keep capf::to_string (bytes, enums of domain/) visible next to the overload below.
using capf::to_string;

// CRLReason of RFC 5280 §5.3.1, with its values (7 is unused).
enum class RevocationReason {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

// The RFC 5280 name: "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
// "superseded", "cessationOfOperation", "certificateHold", "removeFromCRL", "privilegeWithdrawn",
// "aACompromise".
std::string_view to_string(RevocationReason reason);
// One of the names above, in any letter case; kInvalidArgument listing the names otherwise.
Result<RevocationReason> parse_revocation_reason(std::string_view text);

struct RevokedEntry {
  std::string serial_hex;  // as Certificate::serial_hex() gives it; ':' between bytes allowed
  TimePoint revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;
};

struct CrlParams {
  std::vector<RevokedEntry> revoked;
  std::uint64_t crl_number = 0;  // the caller keeps it growing from one CRL to the next
  TimePoint this_update;
  TimePoint next_update;
};

// A v2 CRL (RFC 5280 §5) in DER: issuer = the issuer certificate's *subject*; thisUpdate and
// nextUpdate (whole seconds; UTCTime up to 2049, GeneralizedTime after); one entry per revoked
// serial, sorted by serial, with its revocationDate and a reasonCode extension unless the reason
// is unspecified; CRL extensions authorityKeyIdentifier (keyid = the issuer's SKI, or the RFC 5280
// method-1 hash of its key when it has none) and cRLNumber; signed with SHA-256 (RSA PKCS#1 v1.5
// or ECDSA) through the key, so an engine (PKCS#11) key works and is never exported.
// kInvalidArgument for a serial that is not 1..20 bytes of hex or is zero, a serial listed twice,
// removeFromCRL (it belongs to delta CRLs only, and OpenSSL would read it as "not revoked"),
// next_update not later than this_update, an issuer key that does not belong to the issuer
// certificate, or an issuer certificate whose keyUsage lacks cRLSign (relying parties refuse such
// a CRL). kCrypto when signing fails. Blocks for the signature (an HSM round trip); thread-safe.
Result<Bytes> make_crl(const CrlParams& params, const Certificate& issuer,
                       const PrivateKey& issuer_key);

// PEM text ("-----BEGIN X509 CRL-----") of a DER CRL.
std::string crl_pem(ByteView der);

struct CrlEntryInfo {
  std::string serial_hex;  // lower-case, no leading zero bytes (as Certificate::serial_hex())
  TimePoint revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;  // also when reasonCode is absent
};

struct CrlInfo {
  std::string issuer;  // one line, as Certificate::subject()
  std::optional<std::uint64_t> crl_number;
  TimePoint this_update;
  std::optional<TimePoint> next_update;
  std::string authority_key_id_hex;   // lower-case hex of the AKI keyid; "" when absent
  std::vector<CrlEntryInfo> entries;  // in the CRL's order
};

// Reads a CRL in DER or PEM. Does not check the signature (see verify_crl). kMalformed for bytes
// that are not one CRL, a reasonCode outside RFC 5280's values, or a cRLNumber beyond 64 bits.
Result<CrlInfo> parse_crl(ByteView der_or_pem);

// Checks that the CRL (DER or PEM) names the issuer certificate's subject as its issuer and is
// signed by that certificate's key. Nothing else: not the times, not the issuer's key usage.
// kMalformed when it does not parse, kCrypto when the name or the signature does not match.
Status verify_crl(ByteView der, const Certificate& issuer);

}  // namespace capf::pki
