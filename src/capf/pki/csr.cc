#include "capf/pki/csr.h"

#include <openssl/pem.h>

#include "capf/pki/certificate.h"
#include "capf/pki/ossl_util.h"
#include "capf/pki/spki.h"

namespace capf::pki {

namespace {

// Reads one DER header at *p (not past end); on success *p points at the contents.
bool read_header(const unsigned char** p, const unsigned char* end, long* len, int* tag,
                 bool* constructed) {
  int xclass = 0;
  int ret = ASN1_get_object(p, len, tag, &xclass, end - *p);
  if ((ret & 0x80) != 0 || (ret & 0x21) == 0x21 || xclass != V_ASN1_UNIVERSAL) {
    ERR_clear_error();
    return false;
  }
  *constructed = (ret & V_ASN1_CONSTRUCTED) != 0;
  return true;
}

// The subjectPublicKeyInfo inside a DER CertificationRequestInfo
// (SEQUENCE { version INTEGER, subject Name, subjectPKInfo, [0] attributes }).
Result<ByteView> spki_in_request_info(ByteView info) {
  auto malformed = [] {
    return make_error(ErrorCode::kMalformed, "request info is not a der CertificationRequestInfo");
  };
  const unsigned char* p = info.data();
  const unsigned char* end = info.data() + info.size();
  long len = 0;
  int tag = 0;
  bool constructed = false;
  if (info.empty() || !read_header(&p, end, &len, &tag, &constructed) || tag != V_ASN1_SEQUENCE ||
      !constructed || p + len != end) {
    return malformed();
  }
  for (int expected : {V_ASN1_INTEGER, V_ASN1_SEQUENCE}) {
    if (!read_header(&p, end, &len, &tag, &constructed) || tag != expected) {
      return malformed();
    }
    p += len;
  }
  const unsigned char* start = p;
  if (!read_header(&p, end, &len, &tag, &constructed) || tag != V_ASN1_SEQUENCE) {
    return malformed();
  }
  p += len;
  return ByteView(start, static_cast<std::size_t>(p - start));
}

int signature_nid(Hash hash, bool rsa) {
  switch (hash) {
    case Hash::kSha1:
      return rsa ? NID_sha1WithRSAEncryption : NID_ecdsa_with_SHA1;
    case Hash::kSha256:
      return rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256;
    case Hash::kSha512:
      return rsa ? NID_sha512WithRSAEncryption : NID_ecdsa_with_SHA512;
  }
  return NID_undef;
}

void put_header(Bytes& out, bool constructed, std::size_t len, int tag) {
  const int header_len =
      ASN1_object_size(constructed ? 1 : 0, static_cast<int>(len), tag) - static_cast<int>(len);
  std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(header_len));
  unsigned char* p = out.data() + at;
  ASN1_put_object(&p, constructed ? 1 : 0, static_cast<int>(len), tag, V_ASN1_UNIVERSAL);
}

}  // namespace

Result<Bytes> build_request_info(std::string_view subject_dn, ByteView spki_der) {
  return build_request_info(subject_dn, spki_der, RequestInfoOptions{});
}

Result<Bytes> build_request_info(std::string_view subject_dn, ByteView spki_der,
                                 const RequestInfoOptions& options) {
  const std::vector<std::string>& dns_names = options.dns_names;
  CAPF_ASSIGN_OR_RETURN(X509NamePtr name, parse_dn(subject_dn));
  CAPF_ASSIGN_OR_RETURN(PKeyPtr key, detail::parse_spki(spki_der));
  X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot build the request info");
  }
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot set the request's public key");
  }
  CAPF_TRY(detail::check_same_spki(X509_REQ_get_X509_PUBKEY(req.get()), spki_der));
  if (!dns_names.empty()) {
    // An extensionRequest attribute with subjectAltName dNSName entries (ACME needs them).
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    for (const auto& dns : dns_names) {
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      if (gn == nullptr || ia5 == nullptr ||
          ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(ia5);
        GENERAL_NAMES_free(names);
        return detail::ossl_error(ErrorCode::kInternal, "cannot build the subjectAltName");
      }
      GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
      sk_GENERAL_NAME_push(names, gn);
    }
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names);
    GENERAL_NAMES_free(names);
    bool added = ext != nullptr && sk_X509_EXTENSION_push(exts, ext) > 0 &&
                 X509_REQ_add_extensions(req.get(), exts) == 1;
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!added) {
      return detail::ossl_error(ErrorCode::kInternal, "cannot add the subjectAltName request");
    }
  }
  if (options.challenge_password) {
    const std::string& pw = *options.challenge_password;
    if (X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(pw.data()),
                                  static_cast<int>(pw.size())) != 1) {
      return detail::ossl_error(ErrorCode::kInternal, "cannot add the challengePassword");
    }
  }
  int len = i2d_re_X509_REQ_tbs(req.get(), nullptr);
  if (len <= 0) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot encode the request info");
  }
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_re_X509_REQ_tbs(req.get(), &p) != len) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot encode the request info");
  }
  return out;
}

Result<Bytes> assemble_csr(ByteView request_info_der, Hash hash, ByteView signature) {
  if (request_info_der.size() > 0xffffff || signature.empty() || signature.size() > 0xffff) {
    return make_error(ErrorCode::kMalformed, "request info of {} bytes or signature of {} bytes",
                      request_info_der.size(), signature.size());
  }
  CAPF_ASSIGN_OR_RETURN(ByteView spki, spki_in_request_info(request_info_der));
  CAPF_ASSIGN_OR_RETURN(PKeyPtr key, detail::parse_spki(spki));
  const bool rsa = EVP_PKEY_is_a(key.get(), "RSA");

  detail::X509AlgorPtr algorithm(X509_ALGOR_new());
  if (!algorithm || X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(signature_nid(hash, rsa)),
                                    rsa ? V_ASN1_NULL : V_ASN1_UNDEF, nullptr) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot build the signature algorithm");
  }
  Bytes algorithm_der = detail::to_der(algorithm.get(), i2d_X509_ALGOR);
  const std::size_t bits_len = signature.size() + 1;  // leading "unused bits" octet
  const std::size_t content_len =
      request_info_der.size() + algorithm_der.size() +
      static_cast<std::size_t>(ASN1_object_size(0, static_cast<int>(bits_len), V_ASN1_BIT_STRING));
  Bytes csr;
  csr.reserve(content_len + 8);
  put_header(csr, true, content_len, V_ASN1_SEQUENCE);
  append(csr, request_info_der);
  append(csr, algorithm_der);
  put_header(csr, false, bits_len, V_ASN1_BIT_STRING);
  csr.push_back(0);
  append(csr, signature);

  auto req = detail::parse_der_exact<X509ReqPtr>(csr, d2i_X509_REQ);
  if (!req) {
    return detail::ossl_error(ErrorCode::kMalformed, "the assembled request does not parse");
  }
  if (X509_REQ_verify(req.get(), key.get()) != 1) {
    return detail::ossl_error(
        ErrorCode::kCrypto,
        fmt::format("the {} signature over the request info does not verify with its key",
                    detail::hash_name(hash)));
  }
  return csr;
}

Result<Bytes> csr_public_key(ByteView csr) {
  X509ReqPtr req;
  if (detail::looks_like_pem(csr)) {
    BioPtr bio = detail::memory_bio(csr);
    req.reset(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!req) {
      return detail::ossl_error(ErrorCode::kMalformed, "no pem certificate request in the text");
    }
  } else {
    CAPF_ASSIGN_OR_RETURN(req, detail::parse_der_checked<X509ReqPtr>(
                                   csr, d2i_X509_REQ, "certificate request has trailing bytes",
                                   "not a der pkcs#10 certificate request"));
  }
  Bytes spki = detail::to_der(X509_REQ_get_X509_PUBKEY(req.get()), i2d_X509_PUBKEY);
  CAPF_ASSIGN_OR_RETURN(PKeyPtr key, detail::parse_spki(spki));
  if (X509_REQ_verify(req.get(), key.get()) != 1) {
    return detail::ossl_error(ErrorCode::kCrypto,
                              "the certificate request's signature does not verify with its key");
  }
  return spki;
}

Result<Bytes> make_capf_csr(const PrivateKey& key, std::string_view subject_dn) {
  CAPF_ASSIGN_OR_RETURN(X509NamePtr name, parse_dn(subject_dn));
  X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "cannot build the CAPF request");
  }
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
  const std::pair<int, const char*> wanted[] = {
      {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"},
      // As the self-signed CAPF certificate: clientAuth and ipsecEndSystem too, because OpenSSL
      // applies an issuer's EKU to the LSCs below it (see make_capf_certificate).
      {NID_ext_key_usage, "serverAuth,clientAuth,ipsecEndSystem"},
  };
  bool built = exts != nullptr;
  for (const auto& [nid, value] : wanted) {
    X509_EXTENSION* ext = built ? X509V3_EXT_conf_nid(nullptr, &ctx, nid, value) : nullptr;
    built = ext != nullptr && sk_X509_EXTENSION_push(exts, ext) > 0;
    if (!built)
      X509_EXTENSION_free(ext);
  }
  built = built && X509_REQ_add_extensions(req.get(), exts) == 1;
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  if (!built)
    return detail::ossl_error(ErrorCode::kInternal, "cannot add the CA extensions");
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return detail::ossl_error(ErrorCode::kCrypto, "the CAPF key cannot sign its request");
  }
  int len = i2d_X509_REQ(req.get(), nullptr);
  if (len <= 0)
    return detail::ossl_error(ErrorCode::kInternal, "cannot encode the CAPF request");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_X509_REQ(req.get(), &p);
  return out;
}

}  // namespace capf::pki
