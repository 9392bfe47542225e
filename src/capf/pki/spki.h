// Internal: the SubjectPublicKeyInfo rules CAPF enforces (docs/protocol.md §4.3) and the raw SPKI
// handling that lets certificates and requests carry a phone's key exactly as the phone sent it.
#pragma once

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/pki/ossl_util.h"

namespace capf::pki::detail {

// Parses a DER SubjectPublicKeyInfo and checks its key: kMalformed if the bytes do not parse, have
// trailing bytes or carry a broken key; kInvalidArgument for a key other than RSA or EC on a named
// P-256/384/521 curve. This is on the issuing hot path, so it decodes through OpenSSL's built-in
// RSA and EC decoders (about 1 and 20 microseconds) rather than the generic 3.0 decoder framework
// behind d2i_PUBKEY (about 150); the key it returns works with every EVP call.
Result<PKeyPtr> parse_spki(ByteView der);

// kInvalidArgument unless the key is RSA or EC on P-256/384/521. `what` names the key in the
// message ("public key", "issuer key").
Status check_supported_key(const EVP_PKEY* key, std::string_view what);

// RSA with its modulus bits, or EC with the curve size; {kRsa, 0} for anything else.
KeySpec key_spec_of(const EVP_PKEY* key);

// kInvalidArgument unless `written` (the SPKI as placed into a certificate or request) is byte for
// byte the SPKI the key was parsed from: the phone's key must go out unchanged.
Status check_same_spki(const X509_PUBKEY* written, ByteView original);

// RFC 5280 §4.2.1.2 method 1: SHA-1 over the subjectPublicKey BIT STRING's value.
Bytes key_identifier(const X509_PUBKEY* pub);

}  // namespace capf::pki::detail
