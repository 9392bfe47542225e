// Internal helpers shared by the pki/ sources: more RAII aliases, DER output into Bytes, hash
// mapping and error construction. Not part of the module's interface.
#pragma once

#include <string>
#include <string_view>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/key.h"
#include "capf/pki/openssl_ptr.h"

namespace capf::pki::detail {

using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION_free>>;
using X509NameEntryPtr = std::unique_ptr<X509_NAME_ENTRY, OsslDeleter<X509_NAME_ENTRY_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, OsslDeleter<X509_ALGOR_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, OsslDeleter<ASN1_STRING_free>>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, OsslDeleter<BASIC_CONSTRAINTS_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, OsslDeleter<AUTHORITY_KEYID_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, OsslDeleter<EXTENDED_KEY_USAGE_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OsslDeleter<ASN1_BIT_STRING_free>>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// An error whose message is "<what>: <openssl_errors()>" (drains OpenSSL's error queue).
Error ossl_error(ErrorCode code, std::string_view what);

// DER of an object through its i2d function; empty when encoding fails.
template <typename T, typename Fn>
Bytes to_der(const T* object, Fn i2d) {
  int len = i2d(object, nullptr);
  if (len <= 0) {
    return {};
  }
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d(object, &p) != len) {
    return {};
  }
  return out;
}

// Parses DER with a d2i function into the smart pointer type Ptr. Returns null when the bytes do
// not parse; when they parse but more bytes follow, returns null and sets *trailing.
template <typename Ptr, typename Fn>
Ptr parse_der_exact(ByteView der, Fn d2i, bool* trailing = nullptr) {
  if (trailing != nullptr) {
    *trailing = false;
  }
  if (der.empty() || der.size() > 0x7fffffff) {
    return Ptr();
  }
  const unsigned char* p = der.data();
  Ptr object(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (object && p != der.data() + der.size()) {
    if (trailing != nullptr) {
      *trailing = true;
    }
    return Ptr();
  }
  return object;
}

// parse_der_exact for a reader that refuses what does not parse: kMalformed with trailing_message
// when more bytes follow the object, else with not_der_message and OpenSSL's reasons.
template <typename Ptr, typename Fn>
Result<Ptr> parse_der_checked(ByteView der, Fn d2i, std::string_view trailing_message,
                              std::string_view not_der_message) {
  bool trailing = false;
  Ptr object = parse_der_exact<Ptr>(der, d2i, &trailing);
  if (trailing) {
    return make_error(ErrorCode::kMalformed, "{}", trailing_message);
  }
  if (!object) {
    return ossl_error(ErrorCode::kMalformed, not_der_message);
  }
  return object;
}

const EVP_MD* evp_md(Hash hash);
std::string_view hash_name(Hash hash);  // "sha1", "sha256", "sha512"

// A name on one line in its own (DER) order, e.g. "CN=CAPF-1a2b3c4d, O=Example, C=NZ" (see
// Certificate::subject()).
std::string name_one_line(const X509_NAME* name);

// An ASN1_TIME as a time point; the epoch for null or an unreadable time.
TimePoint time_point(const ASN1_TIME* t);
// A serial number as lower-case hex without leading zero bytes ("00" for zero, '-' before a
// negative one), as Certificate::serial_hex() and the CRL reader give it.
std::string serial_hex(const ASN1_INTEGER* serial);
// Whether the bytes hold a PEM block ("-----BEGIN") rather than DER.
bool looks_like_pem(ByteView bytes);

// A BIO reading the given bytes without copying them.
BioPtr memory_bio(ByteView bytes);
// Everything written into a memory BIO, as text.
std::string bio_text(BIO* bio);

}  // namespace capf::pki::detail
