// Internal: the pieces both certificate profiles are built from (serial, validity, extensions,
// signing), written as OpenSSL structures rather than configuration strings so that issuing does
// no text parsing.
#pragma once

#include <initializer_list>
#include <optional>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "capf/pki/ossl_util.h"

namespace capf::pki::detail {

// A v3 certificate named `name` as both subject and issuer, holding `key`'s public key, with a
// random serial and the validity of set_validity; the caller adds extensions and signs it.
// kInternal naming `what` when OpenSSL refuses.
Result<X509Ptr> new_self_issued(const X509_NAME* name, const PrivateKey& key, TimePoint now,
                                int days, std::string_view what);

// Sets a positive serial from big-endian magnitude bytes (1..20 bytes, not all zero).
Status set_serial(X509* cert, ByteView serial);
// notBefore = now, notAfter = now + days (1..36500); UTCTime up to 2049, GeneralizedTime after.
Status set_validity(X509* cert, TimePoint now, int days);

Status add_basic_constraints(X509* cert, bool ca, std::optional<long> pathlen);  // critical
Status add_key_usage(X509* cert, std::initializer_list<int> bits);               // critical
Status add_extended_key_usage(X509* cert, std::initializer_list<int> nids);
Status add_subject_alt_name(X509* cert, int gen_type, std::string_view value);  // GEN_DNS, GEN_URI
Status add_subject_key_id(X509* cert, ByteView key_id);
Status add_authority_key_id(X509* cert, ByteView key_id);

// The issuer certificate's key identifier: its SKI, or the RFC 5280 method-1 hash of its key when
// it has none.
Bytes issuer_key_id(const X509* issuer);

// Signs with SHA-256 (sha256WithRSAEncryption or ecdsa-with-SHA256) and returns it as an immutable
// Certificate sharing `cert`, which the caller must no longer change.
Result<Certificate> sign_certificate(X509* cert, const PrivateKey& key);

// Key usage bit numbers of RFC 5280 §4.2.1.3.
inline constexpr int kDigitalSignature = 0;
inline constexpr int kKeyEncipherment = 2;
inline constexpr int kKeyCertSign = 5;
inline constexpr int kCrlSign = 6;

}  // namespace capf::pki::detail
