// The admin listener's TLS context: TLS 1.2 and 1.3 only, modern ciphers, no client certificates
// (callers prove themselves with a bearer token), with the CAPF identity or the certificate and
// key configured in [admin].
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::api {

// kInvalidArgument when OpenSSL refuses the certificate, a chain certificate or the key (or the
// key does not belong to the certificate).
Result<std::shared_ptr<boost::asio::ssl::context>> make_admin_tls_context(
    const pki::Certificate& certificate, const std::vector<pki::Certificate>& chain,
    const pki::PrivateKey& key);

}  // namespace capf::api
