#include "capf/pki/x509_build.h"

#include <algorithm>
#include <ctime>
#include <random>

#include <openssl/bn.h>
#include <openssl/rand.h>

#include "capf/pki/profiles.h"
#include "capf/pki/spki.h"

namespace capf::pki {

Bytes random_serial() {
  Bytes serial(16);
  do {
    if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
      // OpenSSL's DRBG only fails when it cannot be seeded; the kernel source behind
      // std::random_device is the same one it seeds from, so use it directly.
      ERR_clear_error();
      std::random_device device;
      for (std::uint8_t& b : serial) {
        b = static_cast<std::uint8_t>(device());
      }
    }
    serial[0] &= 0x7f;
  } while (std::all_of(serial.begin(), serial.end(), [](std::uint8_t b) { return b == 0; }));
  return serial;
}

namespace detail {

Result<X509Ptr> new_self_issued(const X509_NAME* name, const PrivateKey& key, TimePoint now,
                                int days, std::string_view what) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), name) != 1 || X509_set_issuer_name(cert.get(), name) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, fmt::format("cannot build the {}", what));
  }
  CAPF_TRY(set_serial(cert.get(), random_serial()));
  CAPF_TRY(set_validity(cert.get(), now, days));
  return cert;
}

Status set_serial(X509* cert, ByteView serial) {
  if (serial.empty() || serial.size() > 20 ||
      std::all_of(serial.begin(), serial.end(), [](std::uint8_t b) { return b == 0; })) {
    return make_error(ErrorCode::kInvalidArgument,
                      "serial must be 1..20 bytes and not zero (got {} bytes): use random_serial()",
                      serial.size());
  }
  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return ossl_error(ErrorCode::kInternal, "cannot set the serial number");
  }
  return ok();
}

Status set_validity(X509* cert, TimePoint now, int days) {
  if (days < 1 || days > 36500) {
    return make_error(ErrorCode::kInvalidArgument, "validity of {} days is outside 1..36500", days);
  }
  const std::time_t start = std::chrono::system_clock::to_time_t(now);
  const std::time_t end = start + static_cast<std::time_t>(days) * 86400;
  if (ASN1_TIME_set(X509_getm_notBefore(cert), start) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), end) == nullptr) {
    return ossl_error(ErrorCode::kInvalidArgument, "cannot set the validity period");
  }
  return ok();
}

namespace {

template <typename T>
Status add_ext(X509* cert, int nid, T* value, bool critical) {
  if (value == nullptr ||
      X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_APPEND) != 1) {
    return ossl_error(ErrorCode::kInternal,
                      fmt::format("cannot add the {} extension", OBJ_nid2sn(nid)));
  }
  return ok();
}

}  // namespace

Status add_basic_constraints(X509* cert, bool ca, std::optional<long> pathlen) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (!bc) {
    return ossl_error(ErrorCode::kInternal, "out of memory");
  }
  bc->ca = ca ? 0xff : 0;
  if (pathlen) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, *pathlen) != 1) {
      return ossl_error(ErrorCode::kInternal, "cannot set pathlen");
    }
  }
  return add_ext(cert, NID_basic_constraints, bc.get(), true);
}

Status add_key_usage(X509* cert, std::initializer_list<int> bits) {
  Asn1BitStringPtr usage(ASN1_BIT_STRING_new());
  for (int bit : bits) {
    if (!usage || ASN1_BIT_STRING_set_bit(usage.get(), bit, 1) != 1) {
      return ossl_error(ErrorCode::kInternal, "cannot set key usage bits");
    }
  }
  return add_ext(cert, NID_key_usage, usage.get(), true);
}

Status add_extended_key_usage(X509* cert, std::initializer_list<int> nids) {
  EkuPtr eku(sk_ASN1_OBJECT_new_null());
  for (int nid : nids) {
    ASN1_OBJECT* object = OBJ_nid2obj(nid);
    if (!eku || object == nullptr || sk_ASN1_OBJECT_push(eku.get(), object) <= 0) {
      return ossl_error(ErrorCode::kInternal, "cannot build extendedKeyUsage");
    }
  }
  return add_ext(cert, NID_ext_key_usage, eku.get(), false);
}

Status add_subject_alt_name(X509* cert, int gen_type, std::string_view value) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (!names || name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(text);
    return ossl_error(ErrorCode::kInternal, "cannot build subjectAltName");
  }
  GENERAL_NAME_set0_value(name, gen_type, text);
  if (sk_GENERAL_NAME_push(names.get(), name) <= 0) {
    GENERAL_NAME_free(name);
    return ossl_error(ErrorCode::kInternal, "cannot build subjectAltName");
  }
  return add_ext(cert, NID_subject_alt_name, names.get(), false);
}

Status add_subject_key_id(X509* cert, ByteView key_id) {
  Asn1OctetStringPtr ski(ASN1_OCTET_STRING_new());
  if (!ski || key_id.empty() ||
      ASN1_OCTET_STRING_set(ski.get(), key_id.data(), static_cast<int>(key_id.size())) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot build subjectKeyIdentifier");
  }
  return add_ext(cert, NID_subject_key_identifier, ski.get(), false);
}

Status add_authority_key_id(X509* cert, ByteView key_id) {
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (!akid || key_id.empty()) {
    return ossl_error(ErrorCode::kInternal, "cannot build authorityKeyIdentifier");
  }
  akid->keyid = ASN1_OCTET_STRING_new();
  if (akid->keyid == nullptr ||
      ASN1_OCTET_STRING_set(akid->keyid, key_id.data(), static_cast<int>(key_id.size())) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot build authorityKeyIdentifier");
  }
  return add_ext(cert, NID_authority_key_identifier, akid.get(), false);
}

Bytes issuer_key_id(const X509* issuer) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(issuer));
  if (ski != nullptr && ASN1_STRING_length(ski) > 0) {
    const unsigned char* data = ASN1_STRING_get0_data(ski);
    return Bytes(data, data + ASN1_STRING_length(ski));
  }
  ERR_clear_error();
  return key_identifier(X509_get_X509_PUBKEY(issuer));
}

Result<Certificate> sign_certificate(X509* cert, const PrivateKey& key) {
  if (X509_sign(cert, key.get(), EVP_sha256()) <= 0) {
    return ossl_error(ErrorCode::kCrypto, "signing the certificate failed");
  }
  // adopt() settles the encoding caches, so the result is safe to share between threads without
  // paying for a parse (decoding the public key again is the slow part of d2i_X509 in 3.0).
  X509_up_ref(cert);
  return Certificate::adopt(X509Ptr(cert));
}

}  // namespace detail
}  // namespace capf::pki
