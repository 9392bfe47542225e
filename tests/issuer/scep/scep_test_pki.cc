#include "tests/issuer/scep/scep_test_pki.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <stdexcept>

#include "capf/issuer/online/scep/legacy_provider.h"
#include "capf/pki/openssl_ptr.h"
#include "capf/pki/profiles.h"

namespace capf::testing::scep_pki {

namespace {

using Pkcs7Ptr = std::unique_ptr<PKCS7, pki::OsslDeleter<PKCS7_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, pki::OsslDeleter<X509_EXTENSION_free>>;
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using BorrowedStack = std::unique_ptr<STACK_OF(X509), StackDeleter>;

const SystemClock kClock;

void check(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string(what) + ": " + pki::openssl_errors());
}

int nid_of(const char* oid) {
  int nid = OBJ_txt2nid(oid);
  if (nid == NID_undef) {
    ERR_clear_error();
    nid = OBJ_create(oid, nullptr, nullptr);
  }
  check(nid != NID_undef, "OBJ_create");
  return nid;
}
int message_type_nid() {
  return nid_of("2.16.840.1.113733.1.9.2");
}
int pki_status_nid() {
  return nid_of("2.16.840.1.113733.1.9.3");
}
int fail_info_nid() {
  return nid_of("2.16.840.1.113733.1.9.4");
}
int sender_nonce_nid() {
  return nid_of("2.16.840.1.113733.1.9.5");
}
int recipient_nonce_nid() {
  return nid_of("2.16.840.1.113733.1.9.6");
}
int transaction_id_nid() {
  return nid_of("2.16.840.1.113733.1.9.7");
}
int fail_info_text_nid() {
  return nid_of("1.3.6.1.5.5.7.24.1");
}

Bytes der_of(PKCS7* p7) {
  int len = i2d_PKCS7(p7, nullptr);
  check(len > 0, "i2d_PKCS7");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_PKCS7(p7, &p);
  return out;
}

Pkcs7Ptr parse(const Bytes& der) {
  const unsigned char* p = der.data();
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  return p7;
}

Bytes drain(BIO* bio) {
  Bytes out;
  unsigned char buffer[4096];
  int n = 0;
  while ((n = BIO_read(bio, buffer, sizeof buffer)) > 0)
    out.insert(out.end(), buffer, buffer + n);
  return out;
}

void add_attribute(PKCS7_SIGNER_INFO* si, int nid, int type, const Bytes& value) {
  ASN1_STRING* string = ASN1_STRING_type_new(type);
  check(string != nullptr && ASN1_STRING_set(string, value.data(), static_cast<int>(value.size())),
        "ASN1_STRING_set");
  check(PKCS7_add_signed_attribute(si, nid, type, string) == 1, "PKCS7_add_signed_attribute");
}

void add_text(PKCS7_SIGNER_INFO* si, int nid, int type, const std::string& text) {
  add_attribute(si, nid, type, Bytes(text.begin(), text.end()));
}

std::string text_of(PKCS7_SIGNER_INFO* si, int nid) {
  const ASN1_TYPE* value = PKCS7_get_signed_attribute(si, nid);
  if (value == nullptr || value->type != V_ASN1_PRINTABLESTRING)
    return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value->value.asn1_string)),
                     static_cast<std::size_t>(ASN1_STRING_length(value->value.asn1_string)));
}

}  // namespace

Identity make_ca(const std::string& common_name) {
  auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
  check(key.has_value(), "generate");
  auto cert = pki::make_capf_certificate(*key, {"CN=" + common_name + ",O=scep test", 30}, kClock);
  check(cert.has_value(), "make_capf_certificate");
  return Identity{*cert, *key};
}

Identity make_issued(const std::string& common_name, const Identity& issuer,
                     const std::string& key_usage, bool ca) {
  auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
  check(key.has_value(), "generate");
  pki::X509Ptr cert(X509_new());
  auto now = std::chrono::system_clock::to_time_t(kClock.now());
  std::uint32_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  pki::X509NamePtr name(X509_NAME_new());
  check(X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "name");
  check(
      X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
          ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), (serial >> 1) | 1) == 1 &&
          X509_set_subject_name(cert.get(), name.get()) == 1 &&
          X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.certificate.get())) == 1 &&
          ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 3600) != nullptr &&
          ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + 30 * 86400) != nullptr &&
          X509_set_pubkey(cert.get(), key->get()) == 1,
      "certificate fields");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer.certificate.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, std::string> extensions[] = {
      {NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, "critical," + key_usage},
  };
  for (const auto& [nid, value] : extensions) {
    ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    check(ext != nullptr && X509_add_ext(cert.get(), ext.get(), -1) == 1, "extension");
  }
  check(X509_sign(cert.get(), issuer.key.get(), EVP_sha256()) > 0, "X509_sign");
  // Parsed back from DER, as a CA's certificate would arrive: OpenSSL may have cached the
  // extensions of the object before they were added.
  auto parsed = pki::Certificate::from_der(pki::Certificate::adopt(std::move(cert)).der());
  check(parsed.has_value(), "parse");
  return Identity{*parsed, *key};
}

pki::Certificate issue_for(const Bytes& spki_der, const std::string& common_name,
                           const Identity& issuer) {
  pki::LscParams params{common_name, spki_der, pki::random_serial(), 30};
  auto cert = pki::issue_lsc(params, issuer.certificate, issuer.key, kClock);
  check(cert.has_value(), "issue_lsc");
  return *cert;
}

Bytes certificates_only(const std::vector<pki::Certificate>& certificates) {
  Pkcs7Ptr p7(PKCS7_new());
  check(p7 && PKCS7_set_type(p7.get(), NID_pkcs7_signed) == 1 &&
            PKCS7_content_new(p7.get(), NID_pkcs7_data) == 1 &&
            PKCS7_set_detached(p7.get(), 1) == 1,
        "certificates-only pkcs7");
  for (const auto& cert : certificates)
    check(PKCS7_add_certificate(p7.get(), cert.get()) == 1, "PKCS7_add_certificate");
  return der_of(p7.get());
}

Bytes envelope(const Bytes& content, const pki::Certificate& recipient, Cipher cipher) {
  (void)scep::ensure_legacy_provider();  // single DES
  BorrowedStack recipients(sk_X509_new_null());
  sk_X509_push(recipients.get(), recipient.get());
  pki::BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  const EVP_CIPHER* evp = cipher == Cipher::kDes    ? EVP_des_cbc()
                          : cipher == Cipher::kDes3 ? EVP_des_ede3_cbc()
                                                    : EVP_aes_128_cbc();
  Pkcs7Ptr p7(PKCS7_encrypt(recipients.get(), in.get(), evp, PKCS7_BINARY));
  check(p7 != nullptr, "PKCS7_encrypt");
  return der_of(p7.get());
}

Bytes cert_rep(const CertRepFields& fields, const Identity& signer) {
  Pkcs7Ptr p7(PKCS7_new());
  check(p7 && PKCS7_set_type(p7.get(), NID_pkcs7_signed) == 1, "PKCS7_set_type");
  PKCS7_SIGNER_INFO* si =
      PKCS7_add_signature(p7.get(), signer.certificate.get(), signer.key.get(), EVP_sha256());
  check(si != nullptr && PKCS7_add_attrib_content_type(si, nullptr) == 1, "PKCS7_add_signature");
  add_text(si, message_type_nid(), V_ASN1_PRINTABLESTRING, fields.message_type);
  add_text(si, pki_status_nid(), V_ASN1_PRINTABLESTRING, fields.pki_status);
  add_text(si, transaction_id_nid(), V_ASN1_PRINTABLESTRING, fields.transaction_id);
  add_attribute(si, recipient_nonce_nid(), V_ASN1_OCTET_STRING, fields.recipient_nonce);
  Bytes sender_nonce(16);
  RAND_bytes(sender_nonce.data(), 16);
  add_attribute(si, sender_nonce_nid(), V_ASN1_OCTET_STRING, sender_nonce);
  if (fields.fail_info)
    add_text(si, fail_info_nid(), V_ASN1_PRINTABLESTRING, *fields.fail_info);
  if (fields.fail_info_text)
    add_text(si, fail_info_text_nid(), V_ASN1_UTF8STRING, *fields.fail_info_text);
  check(PKCS7_content_new(p7.get(), NID_pkcs7_data) == 1, "PKCS7_content_new");
  if (!fields.content)
    check(PKCS7_set_detached(p7.get(), 1) == 1, "PKCS7_set_detached");
  pki::BioPtr bio(PKCS7_dataInit(p7.get(), nullptr));
  check(bio != nullptr, "PKCS7_dataInit");
  if (fields.content) {
    check(BIO_write(bio.get(), fields.content->data(), static_cast<int>(fields.content->size())) ==
              static_cast<int>(fields.content->size()),
          "BIO_write");
  }
  check(BIO_flush(bio.get()) == 1 && PKCS7_dataFinal(p7.get(), bio.get()) == 1, "PKCS7_dataFinal");
  return der_of(p7.get());
}

std::optional<OpenedRequest> open_request(const Bytes& der, const Identity& recipient) {
  Pkcs7Ptr p7 = parse(der);
  if (!p7 || !PKCS7_type_is_signed(p7.get()))
    return std::nullopt;
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(p7.get());
  if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) != 1)
    return std::nullopt;
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  OpenedRequest out;
  STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509* cert = sk_X509_value(certs, i);
    X509_up_ref(cert);
    out.certificates.push_back(pki::Certificate::adopt(pki::X509Ptr(cert)));
  }
  // The signature with the certificate inside, as a CA checks a self-signed requester.
  pki::BioPtr signed_content(BIO_new(BIO_s_mem()));
  out.signature_verifies =
      PKCS7_verify(p7.get(), nullptr, nullptr, nullptr, signed_content.get(), PKCS7_NOVERIFY) == 1;
  ERR_clear_error();
  out.message_type = text_of(si, message_type_nid());
  out.transaction_id = text_of(si, transaction_id_nid());
  const ASN1_TYPE* nonce = PKCS7_get_signed_attribute(si, sender_nonce_nid());
  if (nonce != nullptr && nonce->type == V_ASN1_OCTET_STRING) {
    const unsigned char* data = ASN1_STRING_get0_data(nonce->value.octet_string);
    out.sender_nonce.assign(data, data + ASN1_STRING_length(nonce->value.octet_string));
  }
  out.digest = OBJ_nid2sn(OBJ_obj2nid(si->digest_alg->algorithm));

  Pkcs7Ptr envelope = parse(drain(signed_content.get()));
  if (!envelope || !PKCS7_type_is_enveloped(envelope.get()))
    return std::nullopt;
  out.cipher = OBJ_nid2sn(OBJ_obj2nid(envelope->d.enveloped->enc_data->algorithm->algorithm));
  pki::BioPtr plain(BIO_new(BIO_s_mem()));
  if (PKCS7_decrypt(envelope.get(), recipient.key.get(), recipient.certificate.get(), plain.get(),
                    0) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  out.content = drain(plain.get());
  return out;
}

}  // namespace capf::testing::scep_pki
