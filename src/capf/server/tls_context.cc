#include "capf/server/tls_context.h"

#include <openssl/ssl.h>

#include "capf/pki/openssl_ptr.h"

namespace capf {

namespace {
// TLS 1.2 suites: ECDHE only, AES-GCM first, then the ECDHE CBC suites older phone firmware
// lists. No static-RSA suites (AES128-SHA and the like): with those the CAPF key would decrypt
// the session, so anyone holding a recording and, later, the CAPF key could read it, and the
// CA's signing key would double as a decryption key. TLS 1.3 suites are OpenSSL's defaults
// (all ephemeral). The legacy profile below is opt-in and keeps what 7900-series phones need.
constexpr const char* kModernCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";
constexpr const char* kLegacyCiphers = "DEFAULT:@SECLEVEL=0";
}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const CapfIdentity& identity, const TlsOptions& options) {
  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_options(
      raw, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // Idle sessions (phones generating keys) give their I/O buffers back.
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  // A record's header and body in one read() rather than two; the buffer is still given back
  // once it is empty, as it is while a phone generates its key.
  SSL_CTX_set_read_ahead(raw, 1);
  // One CAPF session per connection and no resumption: no session cache, no TLS 1.3 tickets (each
  // would cost a cache entry and an encryption per connection).
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);
  if (options.legacy) {
    SSL_CTX_set_security_level(raw, 0);
    SSL_CTX_set_min_proto_version(raw, TLS1_VERSION);
    if (SSL_CTX_set_cipher_list(raw, kLegacyCiphers) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "legacy cipher list refused: {}",
                        pki::openssl_errors());
    }
  } else {
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(raw, kModernCiphers) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "cipher list refused: {}",
                        pki::openssl_errors());
    }
  }
  SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);  // identity: in CAPF, docs/protocol.md §1
  if (SSL_CTX_use_certificate(raw, identity.certificate.get()) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "TLS refuses the CAPF certificate: {}",
                      pki::openssl_errors());
  }
  for (const auto& issuer : identity.chain) {
    if (SSL_CTX_add1_chain_cert(raw, issuer.get()) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "TLS refuses chain certificate {}: {}",
                        issuer.subject(), pki::openssl_errors());
    }
  }
  if (SSL_CTX_use_PrivateKey(raw, identity.key.get()) != 1 || SSL_CTX_check_private_key(raw) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "TLS refuses the CAPF key: {}",
                      pki::openssl_errors());
  }
  return ctx;
}

}  // namespace capf
