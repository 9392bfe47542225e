#include "capf/issuer/capf_identity.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace capf {

namespace {

Result<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(ErrorCode::kIo, "cannot read {}", path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `text` to `path` through a temporary file in the same directory and a rename, so a reader
// sees either the old file or the new one, never half of one.
Status write_atomically(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return make_error(ErrorCode::kIo, "cannot create {}", tmp.string());
  ::fchmod(fd, mode);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) {
      ::close(fd);
      return make_error(ErrorCode::kIo, "cannot write {}", tmp.string());
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return make_error(ErrorCode::kIo, "cannot flush {}", tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot rename {} to {}: {}", tmp.string(), path.string(),
                      ec.message());
  return ok();
}

}  // namespace

Result<CapfIdentity> load_identity(const IdentityPaths& paths,
                                   std::optional<std::string_view> passphrase) {
  CAPF_ASSIGN_OR_RETURN(std::string cert_pem, read_text(paths.cert));
  auto cert = pki::Certificate::from_pem(cert_pem);
  if (!cert)
    return cert.error().with_context(paths.cert.string());
  CAPF_ASSIGN_OR_RETURN(std::string key_pem, read_text(paths.key));
  auto key = pki::PrivateKey::from_pem(key_pem, passphrase);
  if (!key)
    return key.error().with_context(paths.key.string());
  if (key->spki_der() != cert->spki_der()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} does not hold the key of {}: restore the matching key or regenerate the "
                      "CAPF identity",
                      paths.key.string(), paths.cert.string());
  }
  std::vector<pki::Certificate> chain;
  std::error_code ec;
  if (!paths.chain.empty() && std::filesystem::exists(paths.chain, ec)) {
    CAPF_ASSIGN_OR_RETURN(std::string chain_pem, read_text(paths.chain));
    if (chain_pem.find("-----BEGIN") != std::string::npos) {
      auto all = pki::Certificate::all_from_pem(chain_pem);
      if (!all)
        return all.error().with_context(paths.chain.string());
      chain = std::move(all).value();
    }
  }
  return CapfIdentity{std::move(cert).value(), std::move(key).value(), std::move(chain)};
}

Status write_identity(const IdentityPaths& paths, const CapfIdentity& identity,
                      std::optional<std::string_view> passphrase) {
  CAPF_ASSIGN_OR_RETURN(std::string key_pem, identity.key.to_pem(passphrase));
  CAPF_TRY(write_atomically(paths.key, key_pem, 0600));
  CAPF_TRY(write_atomically(paths.cert, identity.certificate.pem(), 0644));
  if (!paths.chain.empty()) {
    std::string chain_pem;
    for (const auto& c : identity.chain)
      chain_pem += c.pem();
    CAPF_TRY(write_atomically(paths.chain, chain_pem, 0644));
  }
  return ok();
}

}  // namespace capf
