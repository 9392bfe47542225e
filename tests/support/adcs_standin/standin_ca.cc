#include "standin_ca.h"

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "capf/pki/profiles.h"
#include "capf/pki/spki.h"
#include "capf/pki/x509_build.h"
#include "ntlm_server.h"

namespace capf::testing {

namespace {

using namespace std::chrono_literals;
using Pkcs7Ptr = std::unique_ptr<PKCS7, pki::OsslDeleter<PKCS7_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, pki::OsslDeleter<X509_EXTENSION_free>>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, pki::OsslDeleter<ASN1_OBJECT_free>>;
using OctetsPtr = std::unique_ptr<ASN1_OCTET_STRING, pki::OsslDeleter<ASN1_OCTET_STRING_free>>;

// AD CS's "Certificate Template Name" extension (1.3.6.1.4.1.311.20.2): a BMPString.
Status add_template_name(X509* cert, std::string_view name) {
  Bytes utf16 = utf16le(name);
  for (std::size_t i = 0; i + 1 < utf16.size(); i += 2)
    std::swap(utf16[i], utf16[i + 1]);  // BMPString is big-endian
  if (utf16.size() > 0xFFFF)
    return make_error(ErrorCode::kInvalidArgument, "template name too long");
  Bytes der = {0x1E};
  if (utf16.size() < 0x80) {
    der.push_back(static_cast<std::uint8_t>(utf16.size()));
  } else {
    der.push_back(0x82);
    put_u16be(der, static_cast<std::uint16_t>(utf16.size()));
  }
  append(der, utf16);
  ObjectPtr oid(OBJ_txt2obj("1.3.6.1.4.1.311.20.2", 1));
  OctetsPtr value(ASN1_OCTET_STRING_new());
  if (!oid || !value ||
      ASN1_OCTET_STRING_set(value.get(), der.data(), static_cast<int>(der.size())) != 1) {
    return make_error(ErrorCode::kInternal, "cannot build the template name extension");
  }
  ExtensionPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return make_error(ErrorCode::kInternal, "cannot add the template name extension");
  return ok();
}

// A version 3 certificate with a random serial, the names, the key and the validity set.
Result<pki::X509Ptr> skeleton(const X509_NAME* subject, const X509_NAME* issuer, EVP_PKEY* key,
                              TimePoint from, int days) {
  pki::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return make_error(ErrorCode::kInternal, "cannot build a certificate: {}",
                      pki::openssl_errors());
  }
  CAPF_TRY(pki::detail::set_serial(cert.get(), pki::random_serial()));
  CAPF_TRY(pki::detail::set_validity(cert.get(), from, days));
  CAPF_TRY(pki::detail::add_subject_key_id(
      cert.get(), pki::detail::key_identifier(X509_get_X509_PUBKEY(cert.get()))));
  return cert;
}

}  // namespace

Result<std::unique_ptr<StandinCa>> StandinCa::create(const std::string& ca_name) {
  const TimePoint now = std::chrono::system_clock::now();
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey root_key,
                        pki::PrivateKey::generate(KeySpec{KeyType::kRsa, 2048}));
  CAPF_ASSIGN_OR_RETURN(pki::X509NamePtr name, pki::parse_dn("DC=net,DC=example,CN=" + ca_name));
  CAPF_ASSIGN_OR_RETURN(pki::X509Ptr root,
                        skeleton(name.get(), name.get(), root_key.get(), now - 1h, 3650));
  CAPF_TRY(pki::detail::add_basic_constraints(root.get(), true, std::nullopt));
  CAPF_TRY(pki::detail::add_key_usage(
      root.get(),
      {pki::detail::kDigitalSignature, pki::detail::kKeyCertSign, pki::detail::kCrlSign}));
  CAPF_ASSIGN_OR_RETURN(pki::Certificate root_cert,
                        pki::detail::sign_certificate(root.get(), root_key));

  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey tls_key,
                        pki::PrivateKey::generate(KeySpec{KeyType::kEc, 256}));
  CAPF_ASSIGN_OR_RETURN(pki::X509NamePtr host, pki::parse_dn("CN=localhost"));
  CAPF_ASSIGN_OR_RETURN(pki::X509Ptr tls,
                        skeleton(host.get(), name.get(), tls_key.get(), now - 1h, 365));
  CAPF_TRY(pki::detail::add_basic_constraints(tls.get(), false, std::nullopt));
  CAPF_TRY(pki::detail::add_key_usage(tls.get(), {pki::detail::kDigitalSignature}));
  CAPF_TRY(pki::detail::add_extended_key_usage(tls.get(), {NID_server_auth}));
  CAPF_TRY(
      pki::detail::add_authority_key_id(tls.get(), pki::detail::issuer_key_id(root_cert.get())));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, root_cert.get(), tls.get(), nullptr, nullptr, 0);
  ExtensionPtr san(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"));
  if (!san || X509_add_ext(tls.get(), san.get(), -1) != 1)
    return make_error(ErrorCode::kInternal, "cannot add the web server's subjectAltName");
  CAPF_ASSIGN_OR_RETURN(pki::Certificate tls_cert,
                        pki::detail::sign_certificate(tls.get(), root_key));
  return std::unique_ptr<StandinCa>(new StandinCa(std::move(root_key), std::move(root_cert),
                                                  std::move(tls_key), std::move(tls_cert)));
}

Result<Bytes> StandinCa::read_request(std::string_view text) {
  std::string_view body = text;
  if (std::size_t begin = body.find("-----BEGIN"); begin != std::string_view::npos) {
    std::size_t line_end = body.find("-----", begin + 10);
    std::size_t end = body.find("-----END", begin + 10);
    if (line_end == std::string_view::npos || end == std::string_view::npos || end < line_end)
      return make_error(ErrorCode::kMalformed, "broken PEM markers");
    body = body.substr(line_end + 5, end - line_end - 5);
  }
  auto der = base64_decode(body);
  if (!der)
    return make_error(ErrorCode::kMalformed, "the request is not base64");
  const unsigned char* p = der->data();
  pki::X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der->size())));
  if (!req || p != der->data() + der->size())
    return make_error(ErrorCode::kMalformed, "the request is not a DER PKCS#10");
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kCrypto, "the request's signature does not verify");
  }
  return *der;
}

Result<pki::Certificate> StandinCa::sign(ByteView csr_der, std::string_view template_name,
                                         int days) const {
  const unsigned char* p = csr_der.data();
  pki::X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csr_der.size())));
  EVP_PKEY* key = req ? X509_REQ_get0_pubkey(req.get()) : nullptr;
  if (key == nullptr)
    return make_error(ErrorCode::kMalformed, "the request does not parse");
  const TimePoint now = std::chrono::system_clock::now();
  CAPF_ASSIGN_OR_RETURN(pki::X509Ptr cert,
                        skeleton(X509_REQ_get_subject_name(req.get()),
                                 X509_get_subject_name(root_.get()), key, now - 10min, days));
  CAPF_TRY(pki::detail::add_key_usage(
      cert.get(), {pki::detail::kDigitalSignature, pki::detail::kKeyEncipherment}));
  CAPF_TRY(pki::detail::add_extended_key_usage(cert.get(), {NID_client_auth, NID_server_auth}));
  CAPF_TRY(pki::detail::add_authority_key_id(cert.get(), pki::detail::issuer_key_id(root_.get())));
  CAPF_TRY(add_template_name(cert.get(), template_name));
  return pki::detail::sign_certificate(cert.get(), root_key_);
}

Result<Bytes> StandinCa::pkcs7(const std::vector<pki::Certificate>& certificates) {
  Pkcs7Ptr p7(PKCS7_new());
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
      PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1) {
    return make_error(ErrorCode::kInternal, "cannot build a pkcs#7");
  }
  for (const auto& c : certificates) {
    if (PKCS7_add_certificate(p7.get(), c.get()) != 1)
      return make_error(ErrorCode::kInternal, "cannot add a certificate to the pkcs#7");
  }
  int len = i2d_PKCS7(p7.get(), nullptr);
  if (len <= 0)
    return make_error(ErrorCode::kInternal, "cannot encode the pkcs#7");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* w = out.data();
  i2d_PKCS7(p7.get(), &w);
  return out;
}

}  // namespace capf::testing
