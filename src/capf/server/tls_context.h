// The TLS context of the phone port: the CAPF certificate with its full chain, TLS 1.2 (ECDHE
// suites only) and 1.3 by default, and the opt-in legacy profile (TLS 1.0 at security level 0) for
// 7900s.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "capf/common/result.h"
#include "capf/issuer/capf_identity.h"

namespace capf {

struct TlsOptions {
  bool legacy = false;
};

// Builds a server context for the identity. kInvalidArgument if OpenSSL refuses the key or chain.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const CapfIdentity& identity, const TlsOptions& options);

}  // namespace capf
