#include "capf/pki/spki.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

namespace capf::pki::detail {

namespace {

struct Curve {
  const char* name;
  int bits;
};
constexpr std::array<Curve, 3> kCurves = {{
    {"prime256v1", 256},
    {"secp384r1", 384},
    {"secp521r1", 521},
}};

std::string group_name(const EVP_PKEY* key) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::string(name, len);
}

int curve_bits(std::string_view group) {
  for (const Curve& c : kCurves) {
    if (group == c.name) {
      return c.bits;
    }
  }
  return 0;
}

std::string key_type_name(const EVP_PKEY* key) {
  const char* name = EVP_PKEY_get0_type_name(key);
  if (name == nullptr) {
    name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
  std::string out = name != nullptr ? name : "unknown";
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

Status check_supported_key(const EVP_PKEY* key, std::string_view what) {
  if (key == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "{} is missing", what);
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    return ok();
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    std::string group = group_name(key);
    if (curve_bits(group) == 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} is on ec curve '{}': use p-256 (prime256v1), p-384 or p-521", what,
                        group.empty() ? "unnamed" : group);
    }
    return ok();
  }
  return make_error(ErrorCode::kInvalidArgument, "{} is a {} key: use rsa or ec (p-256/384/521)",
                    what, key_type_name(key));
}

KeySpec key_spec_of(const EVP_PKEY* key) {
  if (key == nullptr) {
    return KeySpec{KeyType::kRsa, 0};
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    return KeySpec{KeyType::kRsa, EVP_PKEY_get_bits(key)};
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    int bits = curve_bits(group_name(key));
    return KeySpec{KeyType::kEc, bits != 0 ? bits : EVP_PKEY_get_bits(key)};
  }
  return KeySpec{KeyType::kRsa, 0};
}

Result<PKeyPtr> parse_spki(ByteView der) {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING
  // }
  const unsigned char* p = der.data();
  const unsigned char* end = der.data() + der.size();
  long len = 0;
  int tag = 0;
  int xclass = 0;
  int ret = der.empty() || der.size() > 0xffff
                ? 0x80
                : ASN1_get_object(&p, &len, &tag, &xclass, static_cast<long>(der.size()));
  if ((ret & 0x80) != 0 || ret != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "public key is not a der subjectPublicKeyInfo");
  }
  if (p + len != end) {
    return make_error(ErrorCode::kMalformed,
                      "public key has {} trailing bytes after the subjectPublicKeyInfo",
                      static_cast<long>(end - p) - len);
  }
  X509AlgorPtr algorithm(d2i_X509_ALGOR(nullptr, &p, len));
  if (!algorithm) {
    return ossl_error(ErrorCode::kMalformed, "public key algorithm does not parse");
  }
  const ASN1_OBJECT* oid = nullptr;
  int ptype = V_ASN1_UNDEF;
  X509_ALGOR_get0(&oid, &ptype, nullptr, algorithm.get());
  const int nid = OBJ_obj2nid(oid);
  if (nid == NID_X9_62_id_ecPublicKey && ptype != V_ASN1_OBJECT) {
    return make_error(ErrorCode::kInvalidArgument,
                      "ec public key does not name its curve (explicit parameters): use a named "
                      "curve p-256, p-384 or p-521");
  }
  PKeyPtr key(EVP_PKEY_new());
  p = der.data();
  bool decoded = false;
  if (nid == NID_rsaEncryption) {
    RSA* rsa = d2i_RSA_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
    decoded = rsa != nullptr && key && EVP_PKEY_assign_RSA(key.get(), rsa) == 1;
    if (!decoded) {
      RSA_free(rsa);
    }
  } else if (nid == NID_X9_62_id_ecPublicKey) {
    EC_KEY* ec = d2i_EC_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
    decoded = ec != nullptr && key && EVP_PKEY_assign_EC_KEY(key.get(), ec) == 1;
    if (!decoded) {
      EC_KEY_free(ec);
    }
  } else {
    char text[80] = {};
    OBJ_obj2txt(text, sizeof(text), oid, 0);
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "public key algorithm {} is not supported: use rsa or ec (p-256/384/521)",
                      text);
  }
  if (!decoded || p != end) {
    return ossl_error(ErrorCode::kMalformed, "public key bits do not decode");
  }
  CAPF_TRY(check_supported_key(key.get(), "public key"));
  return key;
}

Status check_same_spki(const X509_PUBKEY* written, ByteView original) {
  Bytes der = to_der(written, i2d_X509_PUBKEY);
  if (der.size() != original.size() || !std::equal(der.begin(), der.end(), original.begin())) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "public key is not in canonical der form (it would not be passed on "
                      "unchanged)");
  }
  return ok();
}

Bytes key_identifier(const X509_PUBKEY* pub) {
  const unsigned char* bits = nullptr;
  int bits_len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &bits_len, nullptr, pub) != 1 || bits_len <= 0) {
    ERR_clear_error();
    return {};
  }
  return digest(Hash::kSha1, ByteView(bits, static_cast<std::size_t>(bits_len)));
}

}  // namespace capf::pki::detail
