// The two certificate profiles CAPF makes (docs/architecture.md §4) and the checks that enforce
// them.
#pragma once

#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::pki {

// A self-signed CAPF certificate: basicConstraints critical CA:TRUE, pathlen:0; keyUsage critical
// digitalSignature, keyCertSign, cRLSign; EKU serverAuth, clientAuth, ipsecEndSystem (an issuer's
// EKU limits its LSCs under OpenSSL's chain rules); SKI; AKI; SAN DNS:<lower-case CN> when the CN
// is a DNS name; SHA-256 (ECDSA for an EC key); random 128-bit serial; notBefore = now; notAfter =
// now + days. kInvalidArgument for a bad subject, days outside 1..36500, or an RSA key under 2048
// bits.
struct CapfCertificateParams {
  std::string subject;  // DN text for parse_dn()
  int days = 5 * 365;
};
Result<Certificate> make_capf_certificate(const PrivateKey& key,
                                          const CapfCertificateParams& params, const Clock& clock);

// Every way a certificate breaks the CAPF CA rule, each as one lower-case sentence that names the
// missing or wrong extension and what to ask the CA for, e.g.
// "basicConstraints has no pathlen:0: reissue with basicConstraints=critical,CA:TRUE,pathlen:0".
// Empty when the certificate is a valid CAPF certificate.
std::vector<std::string> capf_profile_problems(const Certificate& cert);
// What a valid CAPF certificate still lacks for everything opencapf does with it (phones accept
// it): keyUsage cRLSign (for `opencapf crl`) and, when extendedKeyUsage is present, clientAuth
// (OpenSSL applies an issuer's EKU to the LSCs below it). One sentence each, with the fix.
std::vector<std::string> capf_profile_warnings(const Certificate& cert);

// The LSC profile: subject CN = device name, then the O/OU/L/ST/C attributes of the issuer's
// subject in its order and encodings; issuer = the issuer certificate's *subject*; the given
// serial; notBefore = now; notAfter = now + days; basicConstraints critical CA:FALSE; keyUsage
// critical digitalSignature + keyEncipherment; EKU serverAuth, clientAuth, ipsecEndSystem;
// SAN URI:<device name>; SKI (SHA-1 of the key, RFC 5280 method 1); AKI = issuer's SKI.
// Signed with SHA-256 (RSA PKCS#1 v1.5 or ECDSA).
struct LscParams {
  std::string device_name;
  Bytes subject_public_key_der;  // the phone's SPKI, used unchanged
  Bytes serial;                  // 16 random bytes, see random_serial()
  int days = 365;
};
// kMalformed for an SPKI that does not parse; kInvalidArgument for an unsupported or non-canonical
// key, a device name that is not 1..64 printable ASCII characters without spaces, a serial that is
// empty, zero or longer than 20 bytes, days outside 1..36500, or an issuer key that does not belong
// to issuer_cert. Thread-safe: concurrent calls may share issuer_cert and issuer_key.
Result<Certificate> issue_lsc(const LscParams& params, const Certificate& issuer_cert,
                              const PrivateKey& issuer_key, const Clock& clock);

// Departures of an issued LSC from the profile above (for tests and for `cert show`).
std::vector<std::string> lsc_profile_problems(const Certificate& lsc, const Certificate& issuer,
                                              std::string_view device_name);

// 16 random bytes with the top bit clear (a positive INTEGER) and not all zero.
Bytes random_serial();

}  // namespace capf::pki
