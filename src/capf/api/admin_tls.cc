#include "capf/api/admin_tls.h"

#include <openssl/ssl.h>

#include "capf/pki/openssl_ptr.h"

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

}  // namespace capf::api
