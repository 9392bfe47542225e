// The phone's TLS client context (declared in phone_session.h; kept apart so that the session TU
// stays about the conversation).
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "capf/pki/openssl_ptr.h"
#include "phone/phone_session.h"

namespace capf::phone {

Result<std::unique_ptr<boost::asio::ssl::context>> make_phone_tls_context(
    const PhoneOptions& options) {
  if (options.server_trust.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no CAPF certificate to trust: give the server's CAPF certificate (the one "
                      "in the phone's ITL)");
  }
  auto context = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  if (options.legacy_tls) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1) {
      return make_error(ErrorCode::kCrypto, "cannot enable TLS 1.0: {}", pki::openssl_errors());
    }
  } else if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return make_error(ErrorCode::kCrypto, "cannot require TLS 1.2: {}", pki::openssl_errors());
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& cert : options.server_trust) {
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      // A duplicate certificate is not an error worth failing for.
      ERR_clear_error();
    }
  }
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return context;
}

}  // namespace capf::phone
