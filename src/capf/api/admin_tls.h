// The admin listener's TLS context: TLS 1.2 and 1.3 only, modern ciphers, no client certificates
// (callers prove themselves with a bearer token), with the admin certificate and key: the pair
// `opencapf init` makes (admin-cert.pem, admin-key.pem) or the one configured in [admin]. Never
// the CAPF key: a key that signs LSCs should not also be the key of a web listener.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::api {

// The admin listener's own pair in the data directory, used when [admin] cert_file is empty.
inline constexpr const char* kAdminCertFile = "admin-cert.pem";
inline constexpr const char* kAdminKeyFile = "admin-key.pem";

// kInvalidArgument when OpenSSL refuses the certificate, a chain certificate or the key (or the
// key does not belong to the certificate).
Result<std::shared_ptr<boost::asio::ssl::context>> make_admin_tls_context(
    const pki::Certificate& certificate, const std::vector<pki::Certificate>& chain,
    const pki::PrivateKey& key);

// A self-signed certificate for the admin listener: CN "opencapf admin API", SAN DNS:localhost,
// CA:FALSE, keyUsage digitalSignature, EKU serverAuth only, `days` long. Self-signed rather than
// signed by the CAPF key, so that the CAPF key signs only what phones trust (LSCs, CRLs), and the
// admin certificate survives a CAPF regeneration or a move to an external CA. Clients pin it.
Result<pki::Certificate> make_admin_certificate(const pki::PrivateKey& key, const Clock& clock,
                                                int days = 825);

// Makes a new EC P-256 key and its admin certificate and writes them (the key 0600), each
// atomically. Returns the certificate (for its fingerprint).
Result<pki::Certificate> create_admin_tls_files(const std::filesystem::path& cert_file,
                                                const std::filesystem::path& key_file,
                                                const Clock& clock);

}  // namespace capf::api
