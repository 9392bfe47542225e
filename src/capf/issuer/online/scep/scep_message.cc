#include "capf/issuer/online/scep/scep_message.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include <cctype>
#include <chrono>
#include <memory>

#include "capf/common/enum_names.h"
#include "capf/issuer/online/scep/legacy_provider.h"
#include "capf/pki/openssl_ptr.h"

namespace capf::scep {

namespace {

using Pkcs7Ptr = std::unique_ptr<PKCS7, pki::OsslDeleter<PKCS7_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, pki::OsslDeleter<ASN1_STRING_free>>;
// A stack that borrows its certificates (they stay owned by pki::Certificate).
struct BorrowingStackDeleter {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using BorrowedX509Stack = std::unique_ptr<STACK_OF(X509), BorrowingStackDeleter>;

// The SCEP attributes (RFC 8894 §3.2.1: the VeriSign arc 2.16.840.1.113733.1.9, and
// failInfoText id-pkix 24.1), registered with OpenSSL once so the PKCS7 API can name them.
struct Nids {
  int message_type;
  int pki_status;
  int fail_info;
  int sender_nonce;
  int recipient_nonce;
  int transaction_id;
  int fail_info_text;
  bool ok() const {
    return message_type != NID_undef && pki_status != NID_undef && fail_info != NID_undef &&
           sender_nonce != NID_undef && recipient_nonce != NID_undef &&
           transaction_id != NID_undef && fail_info_text != NID_undef;
  }
};

int register_oid(const char* oid, const char* short_name, const char* long_name) {
  int nid = OBJ_txt2nid(oid);
  if (nid == NID_undef) {
    ERR_clear_error();
    nid = OBJ_create(oid, short_name, long_name);
  }
  return nid;
}

const Nids& nids() {
  // A function-local static: initialised once, thread-safely.
  static const Nids registered{
      register_oid("2.16.840.1.113733.1.9.2", "scepMessageType", "scep messageType"),
      register_oid("2.16.840.1.113733.1.9.3", "scepPkiStatus", "scep pkiStatus"),
      register_oid("2.16.840.1.113733.1.9.4", "scepFailInfo", "scep failInfo"),
      register_oid("2.16.840.1.113733.1.9.5", "scepSenderNonce", "scep senderNonce"),
      register_oid("2.16.840.1.113733.1.9.6", "scepRecipientNonce", "scep recipientNonce"),
      register_oid("2.16.840.1.113733.1.9.7", "scepTransactionId", "scep transactionID"),
      register_oid("1.3.6.1.5.5.7.24.1", "scepFailInfoText", "scep failInfoText"),
  };
  return registered;
}

Error ossl_error(ErrorCode code, std::string_view what) {
  return make_error(code, "{}: {}", what, pki::openssl_errors());
}

template <typename T, typename Fn>
Bytes der_of(const T* object, Fn i2d) {
  int len = i2d(object, nullptr);
  if (len <= 0)
    return {};
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d(object, &p) != len)
    return {};
  return out;
}

Pkcs7Ptr parse_pkcs7(ByteView der) {
  if (der.empty() || der.size() > 0x7fffffff)
    return nullptr;
  const unsigned char* p = der.data();
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (p7 && p != der.data() + der.size())
    return nullptr;
  ERR_clear_error();
  return p7;
}

Bytes drain(BIO* bio) {
  Bytes out;
  unsigned char buffer[4096];
  for (;;) {
    int n = BIO_read(bio, buffer, sizeof buffer);
    if (n <= 0)
      break;
    out.insert(out.end(), buffer, buffer + n);
  }
  return out;
}

Status add_string_attribute(PKCS7_SIGNER_INFO* si, int nid, int type, ByteView value) {
  Asn1StringPtr string(ASN1_STRING_type_new(type));
  if (!string || ASN1_STRING_set(string.get(), value.data(), static_cast<int>(value.size())) != 1 ||
      PKCS7_add_signed_attribute(si, nid, type, string.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot add a scep signed attribute");
  }
  (void)string.release();  // the signer info owns it now
  return ok();
}

std::optional<std::string> text_attribute(PKCS7_SIGNER_INFO* si, int nid) {
  const ASN1_TYPE* value = PKCS7_get_signed_attribute(si, nid);
  if (value == nullptr)
    return std::nullopt;
  switch (value->type) {
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_UTF8STRING:
    case V_ASN1_IA5STRING:
      return to_string(
          ByteView(ASN1_STRING_get0_data(value->value.asn1_string),
                   static_cast<std::size_t>(ASN1_STRING_length(value->value.asn1_string))));
    default:
      return std::nullopt;
  }
}

std::optional<Bytes> octet_attribute(PKCS7_SIGNER_INFO* si, int nid) {
  const ASN1_TYPE* value = PKCS7_get_signed_attribute(si, nid);
  if (value == nullptr || value->type != V_ASN1_OCTET_STRING)
    return std::nullopt;
  const unsigned char* data = ASN1_STRING_get0_data(value->value.octet_string);
  return Bytes(data, data + ASN1_STRING_length(value->value.octet_string));
}

// DER length octets for a definite length.
void put_der_length(Bytes& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  Bytes digits;
  for (; length > 0; length >>= 8)
    digits.insert(digits.begin(), static_cast<std::uint8_t>(length & 0xff));
  out.push_back(static_cast<std::uint8_t>(0x80 | digits.size()));
  append(out, digits);
}

// The certificates of a SUCCESS reply: decrypt the EnvelopedData, read the degenerate PKCS#7.
Result<std::vector<pki::Certificate>> issued_certificates(ByteView envelope_der,
                                                          const Requester& requester) {
  Pkcs7Ptr envelope = parse_pkcs7(envelope_der);
  if (!envelope || !PKCS7_type_is_enveloped(envelope.get())) {
    return make_error(ErrorCode::kMalformed,
                      "the SUCCESS reply does not hold a pkcs#7 EnvelopedData");
  }
  Status legacy = ensure_legacy_provider();
  pki::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PKCS7_decrypt(envelope.get(), requester.key.get(), requester.certificate.get(),
                            out.get(), 0) != 1) {
    std::string why = pki::openssl_errors();
    if (!legacy) {
      why += " (" + legacy.error().message + "; single-DES replies need it)";
    }
    return make_error(ErrorCode::kCrypto, "cannot decrypt the SUCCESS reply: {}", why);
  }
  Pkcs7Ptr degenerate = parse_pkcs7(drain(out.get()));
  if (!degenerate || !PKCS7_type_is_signed(degenerate.get())) {
    return make_error(ErrorCode::kMalformed,
                      "the decrypted reply is not a degenerate pkcs#7 of certificates");
  }
  std::vector<pki::Certificate> certificates;
  STACK_OF(X509)* certs = degenerate->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509* cert = sk_X509_value(certs, i);
    X509_up_ref(cert);
    certificates.push_back(pki::Certificate::adopt(pki::X509Ptr(cert)));
  }
  if (certificates.empty()) {
    return make_error(ErrorCode::kMalformed, "the SUCCESS reply carries no certificate");
  }
  return certificates;
}

}  // namespace

constexpr EnumName<int> kFailInfoNames[] = {
    {0, "badAlg"}, {1, "badMessageCheck"}, {2, "badRequest"}, {3, "badTime"}, {4, "badCertId"},
};

std::string_view fail_info_name(int fail_info) {
  return name_in(kFailInfoNames, fail_info, "unknown");
}

Result<Requester> make_requester(ByteView subject_der, const Clock& clock) {
  const unsigned char* p = subject_der.data();
  pki::X509NamePtr name(subject_der.empty()
                            ? nullptr
                            : d2i_X509_NAME(nullptr, &p, static_cast<long>(subject_der.size())));
  if (!name || p != subject_der.data() + subject_der.size()) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "the requester subject is not a der name");
  }
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key,
                        pki::PrivateKey::generate(KeySpec{KeyType::kRsa, 2048}));
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) {
    return ossl_error(ErrorCode::kInternal, "no random bytes for the requester serial");
  }
  serial = (serial >> 1) | 1;  // positive and not zero
  auto now = std::chrono::system_clock::to_time_t(clock.now());
  pki::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 3600) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + 30 * 86400) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1 ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return ossl_error(ErrorCode::kInternal, "cannot make the scep requester certificate");
  }
  return Requester{pki::Certificate::adopt(std::move(cert)), std::move(key)};
}

Result<Bytes> build_request(const RequestMessage& message, const Protection& protection) {
  const Nids& n = nids();
  if (!n.ok()) {
    return ossl_error(ErrorCode::kInternal, "cannot register the scep attribute oids");
  }
  if (message.transaction_id.empty() || message.sender_nonce.empty() || message.content.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a scep request needs a transactionID, a senderNonce and content");
  }
  // The EnvelopedData: the content encrypted to the CA or RA.
  BorrowedX509Stack recipients(sk_X509_new_null());
  pki::BioPtr content(
      BIO_new_mem_buf(message.content.data(), static_cast<int>(message.content.size())));
  if (!recipients || !content || sk_X509_push(recipients.get(), protection.recipient.get()) <= 0) {
    return ossl_error(ErrorCode::kInternal, "out of memory building a scep request");
  }
  const EVP_CIPHER* cipher =
      protection.cipher == ContentCipher::kAes128Cbc ? EVP_aes_128_cbc() : EVP_des_ede3_cbc();
  Pkcs7Ptr envelope(PKCS7_encrypt(recipients.get(), content.get(), cipher, PKCS7_BINARY));
  if (!envelope) {
    return ossl_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot encrypt the scep request to {} (scep needs an rsa key "
                                  "there)",
                                  protection.recipient.subject()));
  }
  Bytes envelope_der = der_of(envelope.get(), i2d_PKCS7);

  // The SignedData around it, signed by the requester.
  const EVP_MD* md = protection.hash == pki::Hash::kSha1     ? EVP_sha1()
                     : protection.hash == pki::Hash::kSha512 ? EVP_sha512()
                                                             : EVP_sha256();
  const Requester& requester = protection.requester;
  Pkcs7Ptr p7(PKCS7_new());
  PKCS7_SIGNER_INFO* si = nullptr;
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
      (si = PKCS7_add_signature(p7.get(), requester.certificate.get(), requester.key.get(), md)) ==
          nullptr ||
      PKCS7_add_certificate(p7.get(), requester.certificate.get()) != 1 ||
      PKCS7_add_attrib_content_type(si, nullptr) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot start the scep SignedData");
  }
  std::string type = std::to_string(static_cast<int>(message.type));
  CAPF_TRY(add_string_attribute(si, n.message_type, V_ASN1_PRINTABLESTRING, as_bytes(type)));
  CAPF_TRY(add_string_attribute(si, n.transaction_id, V_ASN1_PRINTABLESTRING,
                                as_bytes(message.transaction_id)));
  CAPF_TRY(add_string_attribute(si, n.sender_nonce, V_ASN1_OCTET_STRING, message.sender_nonce));
  if (PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot add the scep content");
  }
  pki::BioPtr chain(PKCS7_dataInit(p7.get(), nullptr));
  if (!chain ||
      BIO_write(chain.get(), envelope_der.data(), static_cast<int>(envelope_der.size())) !=
          static_cast<int>(envelope_der.size()) ||
      BIO_flush(chain.get()) != 1 || PKCS7_dataFinal(p7.get(), chain.get()) != 1) {
    return ossl_error(ErrorCode::kInternal, "cannot sign the scep request");
  }
  Bytes der = der_of(p7.get(), i2d_PKCS7);
  if (der.empty()) {
    return ossl_error(ErrorCode::kInternal, "cannot encode the scep request");
  }
  return der;
}

Bytes new_nonce() {
  Bytes nonce(16);
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    // Never expected with OpenSSL 3's DRBG; an all-zero nonce would still be answered correctly.
    ERR_clear_error();
  }
  return nonce;
}

std::string transaction_id_for(ByteView spki_der) {
  return pki::spki_fingerprint(spki_der);
}

Result<Bytes> csr_subject_der(ByteView csr_der) {
  const unsigned char* p = csr_der.data();
  pki::X509ReqPtr req(
      csr_der.empty() ? nullptr : d2i_X509_REQ(nullptr, &p, static_cast<long>(csr_der.size())));
  if (!req || p != csr_der.data() + csr_der.size()) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "the phone's request is not a der pkcs#10");
  }
  return der_of(X509_REQ_get_subject_name(req.get()), i2d_X509_NAME);
}

Bytes certificate_subject_der(const pki::Certificate& certificate) {
  return der_of(X509_get_subject_name(certificate.get()), i2d_X509_NAME);
}

Bytes issuer_and_subject(ByteView issuer_name_der, ByteView subject_name_der) {
  Bytes out{0x30};
  put_der_length(out, issuer_name_der.size() + subject_name_der.size());
  append(out, issuer_name_der);
  append(out, subject_name_der);
  return out;
}

Result<CertRep> decode_cert_rep(ByteView der, const ReplyContext& context) {
  const Nids& n = nids();
  if (!n.ok()) {
    return ossl_error(ErrorCode::kInternal, "cannot register the scep attribute oids");
  }
  Pkcs7Ptr p7 = parse_pkcs7(der);
  if (!p7 || !PKCS7_type_is_signed(p7.get())) {
    return make_error(ErrorCode::kMalformed, "the reply is not a der pkcs#7 SignedData");
  }
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(p7.get());
  if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) != 1) {
    return make_error(ErrorCode::kMalformed, "the reply has {} signers instead of one",
                      infos == nullptr ? 0 : sk_PKCS7_SIGNER_INFO_num(infos));
  }
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);

  // Only the CA or its RA may sign; their certificates come from GetCACert, not from the reply.
  BorrowedX509Stack candidates(sk_X509_new_null());
  for (const auto& signer : context.signers) {
    if (!candidates || sk_X509_push(candidates.get(), signer.get()) <= 0) {
      return ossl_error(ErrorCode::kInternal, "out of memory reading a scep reply");
    }
  }
  X509* signer = X509_find_by_issuer_and_serial(candidates.get(), si->issuer_and_serial->issuer,
                                                si->issuer_and_serial->serial);
  if (signer == nullptr) {
    ERR_clear_error();
    return make_error(ErrorCode::kUntrusted,
                      "the reply is signed by a certificate that is neither the CA's nor its RA's");
  }
  // PKCS7_verify refuses a SignedData without content, which is how FAILURE and PENDING replies
  // may come; digesting through PKCS7_dataInit and checking the one signer works for both.
  pki::BioPtr chain(PKCS7_dataInit(p7.get(), nullptr));
  if (!chain) {
    return ossl_error(ErrorCode::kMalformed, "cannot read the reply's content");
  }
  Bytes content = drain(chain.get());
  if (PKCS7_signatureVerify(chain.get(), p7.get(), si, signer) != 1) {
    return ossl_error(ErrorCode::kUntrusted, "the reply's signature does not verify");
  }

  std::optional<std::string> type = text_attribute(si, n.message_type);
  if (!type) {
    return make_error(ErrorCode::kMalformed, "the reply has no messageType");
  }
  if (*type != "3") {
    return make_error(ErrorCode::kProtocol, "the reply is messageType {}, not CertRep (3)", *type);
  }
  std::optional<std::string> transaction = text_attribute(si, n.transaction_id);
  if (!transaction || *transaction != context.transaction_id) {
    return make_error(ErrorCode::kUntrusted, "the reply is for transaction '{}', not '{}'",
                      transaction.value_or(""), context.transaction_id);
  }
  std::optional<Bytes> nonce = octet_attribute(si, n.recipient_nonce);
  if (!nonce || ByteView(*nonce).size() != context.sender_nonce.size() ||
      !std::equal(nonce->begin(), nonce->end(), context.sender_nonce.begin())) {
    return make_error(ErrorCode::kUntrusted,
                      "the reply's recipientNonce is not the senderNonce of our request (a "
                      "replayed or misrouted reply)");
  }
  std::optional<std::string> status = text_attribute(si, n.pki_status);
  if (!status) {
    return make_error(ErrorCode::kMalformed, "the reply has no pkiStatus");
  }

  CertRep rep;
  if (*status == "0") {
    rep.status = PkiStatus::kSuccess;
    CAPF_ASSIGN_OR_RETURN(rep.certificates, issued_certificates(content, context.requester));
  } else if (*status == "2") {
    rep.status = PkiStatus::kFailure;
    std::optional<std::string> fail_info = text_attribute(si, n.fail_info);
    if (fail_info && fail_info->size() == 1 &&
        std::isdigit(static_cast<unsigned char>((*fail_info)[0]))) {
      rep.fail_info = (*fail_info)[0] - '0';
    }
    rep.fail_info_text = text_attribute(si, n.fail_info_text).value_or("");
  } else if (*status == "3") {
    rep.status = PkiStatus::kPending;
  } else {
    return make_error(ErrorCode::kProtocol, "the reply has an unknown pkiStatus '{}'", *status);
  }
  return rep;
}

std::string to_base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::optional<Bytes> from_base64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      clean.push_back(c);
  }
  if (clean.size() % 4 != 0 || clean.size() > 0x7fffffff)
    return std::nullopt;
  Bytes out(clean.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::size_t padding = 0;
  for (std::size_t i = clean.size(); i > 0 && clean[i - 1] == '=' && padding < 2; --i)
    ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

}  // namespace capf::scep
