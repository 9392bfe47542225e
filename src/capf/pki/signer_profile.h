// The trust-list signer's certificate (function SAST in an ITL or CTL, docs/trust-lists.md §5) and
// the raw certificate fields a trust-list record carries.
#pragma once

#include <string>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::pki {

// A self-signed signer certificate: basicConstraints critical CA:FALSE; keyUsage critical
// digitalSignature; SKI; SHA-256; random 128-bit serial; notBefore = now; notAfter = now + days.
// The key must be RSA of at least 2048 bits (trust-list headers have no EC signature code):
// kInvalidArgument otherwise, or for a bad subject or days outside 1..36500.
Result<Certificate> make_signer_certificate(const PrivateKey& key, const std::string& subject,
                                            int days, const Clock& clock);

// The certificate's own signature bits (the BIT STRING after signatureAlgorithm).
Bytes certificate_signature_bits(const Certificate& cert);
// The key as a trust-list record carries it: RSA as PKCS#1 RSAPublicKey DER, EC as the
// uncompressed X9.62 point. kCrypto if OpenSSL cannot encode it.
Result<Bytes> public_key_bits(const PublicKey& key);

}  // namespace capf::pki
