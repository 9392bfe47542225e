#include "capf/api/admin_tls.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "capf/issuer/capf_identity.h"
#include "capf/pki/openssl_ptr.h"
#include "capf/pki/profiles.h"
#include "capf/pki/spki.h"
#include "capf/pki/x509_build.h"

namespace capf::api {

Result<std::shared_ptr<boost::asio::ssl::context>> make_admin_tls_context(
    const pki::Certificate& certificate, const std::vector<pki::Certificate>& chain,
    const pki::PrivateKey& key) {
  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(raw, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL") != 1) {
    return make_error(ErrorCode::kInvalidArgument, "admin TLS cipher list refused: {}",
                      pki::openssl_errors());
  }
  SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  if (SSL_CTX_use_certificate(raw, certificate.get()) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "TLS refuses the admin certificate {}: {}",
                      certificate.subject(), pki::openssl_errors());
  }
  for (const auto& issuer : chain) {
    if (SSL_CTX_add1_chain_cert(raw, issuer.get()) != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "TLS refuses the admin chain certificate {}: {}", issuer.subject(),
                        pki::openssl_errors());
    }
  }
  if (SSL_CTX_use_PrivateKey(raw, key.get()) != 1 || SSL_CTX_check_private_key(raw) != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "TLS refuses the admin key (is it the key of {}?): {}", certificate.subject(),
                      pki::openssl_errors());
  }
  return ctx;
}

Result<pki::Certificate> make_admin_certificate(const pki::PrivateKey& key, const Clock& clock,
                                                int days) {
  CAPF_ASSIGN_OR_RETURN(pki::X509NamePtr name, pki::parse_dn("CN=opencapf admin API,O=opencapf"));
  pki::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return pki::detail::ossl_error(ErrorCode::kInternal, "cannot build the admin certificate");
  }
  namespace d = pki::detail;
  CAPF_TRY(d::set_serial(cert.get(), pki::random_serial()));
  CAPF_TRY(d::set_validity(cert.get(), clock.now(), days));
  CAPF_TRY(d::add_basic_constraints(cert.get(), false, std::nullopt));
  CAPF_TRY(d::add_key_usage(cert.get(), {d::kDigitalSignature}));
  CAPF_TRY(d::add_extended_key_usage(cert.get(), {NID_server_auth}));
  CAPF_TRY(d::add_subject_key_id(cert.get(), d::key_identifier(X509_get_X509_PUBKEY(cert.get()))));
  CAPF_TRY(d::add_subject_alt_name(cert.get(), GEN_DNS, "localhost"));
  return d::sign_certificate(cert.get(), key);
}

Result<pki::Certificate> create_admin_tls_files(const std::filesystem::path& cert_file,
                                                const std::filesystem::path& key_file,
                                                const Clock& clock) {
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::generate({KeyType::kEc, 256}));
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert, make_admin_certificate(key, clock));
  // The identity writer already writes a certificate and its key together, atomically, the key
  // 0600: the admin pair is written the same way (no chain file).
  IdentityPaths paths{cert_file, key_file, {}, {}};
  Status written = write_identity(paths, CapfIdentity{cert, std::move(key), {}}, std::nullopt);
  if (!written) {
    return written.error().with_context("writing the admin TLS certificate and key");
  }
  return cert;
}

}  // namespace capf::api
