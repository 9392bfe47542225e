#include "capf/issuer/capf_identity.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include "capf/common/file.h"
#include "capf/common/pkcs11_uri.h"
#include "capf/pki/key_source.h"

namespace capf {

namespace {

// The files of an identity change together: write_identity first writes every new file beside
// its target ("<file>.new"), then a commit marker, then renames them into place and removes the
// marker. A reader that finds the marker finishes the renames (a writer that crashed half way
// through is rolled forward); new files without a marker are an unfinished write and are ignored
// (the next write replaces them). So a crash never leaves a key with another certificate.
std::filesystem::path marker_of(const IdentityPaths& paths) {
  std::filesystem::path m = paths.cert;
  m += ".commit";
  return m;
}

std::filesystem::path staged(const std::filesystem::path& p) {
  std::filesystem::path s = p;
  s += ".new";
  return s;
}

std::vector<std::filesystem::path> files_of(const IdentityPaths& paths) {
  std::vector<std::filesystem::path> files;
  if (paths.key_uri.empty())
    files.push_back(paths.key);
  files.push_back(paths.cert);
  if (!paths.chain.empty())
    files.push_back(paths.chain);
  return files;
}

void sync_directory(const std::filesystem::path& file) {
  int fd = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Status roll_forward(const IdentityPaths& paths) {
  std::error_code ec;
  const std::filesystem::path marker = marker_of(paths);
  if (!std::filesystem::exists(marker, ec))
    return ok();
  for (const auto& f : files_of(paths)) {
    std::filesystem::rename(staged(f), f, ec);
    // Another process may have moved it already.
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return make_error(ErrorCode::kIo, "cannot finish replacing {}: {}", f.string(), ec.message());
    }
  }
  sync_directory(paths.cert);
  std::filesystem::remove(marker, ec);
  sync_directory(paths.cert);
  return ok();
}

Result<CapfIdentity> load_once(const IdentityPaths& paths,
                               std::optional<std::string_view> passphrase) {
  CAPF_ASSIGN_OR_RETURN(std::string cert_pem, read_file(paths.cert));
  auto cert = pki::Certificate::from_pem(cert_pem);
  if (!cert)
    return cert.error().with_context(paths.cert.string());
  Result<pki::PrivateKey> key = make_error(ErrorCode::kInternal, "no key");
  std::string key_name;
  if (!paths.key_uri.empty()) {
    key_name = redact_pkcs11_uri(paths.key_uri);
    key = pki::load_pkcs11_key(paths.key_uri, passphrase);
    if (!key)
      return key.error().with_context("the CAPF key in the PKCS#11 token");
  } else {
    key_name = paths.key.string();
    CAPF_ASSIGN_OR_RETURN(std::string key_pem, read_file(paths.key));
    key = pki::PrivateKey::from_pem(key_pem, passphrase);
    if (!key)
      return key.error().with_context(paths.key.string());
  }
  if (key->spki_der() != cert->spki_der()) {
    return make_error(ErrorCode::kConflict,
                      "{} does not hold the key of {}: restore the matching key or regenerate the "
                      "CAPF identity",
                      key_name, paths.cert.string());
  }
  std::vector<pki::Certificate> chain;
  std::error_code ec;
  if (!paths.chain.empty() && std::filesystem::exists(paths.chain, ec)) {
    CAPF_ASSIGN_OR_RETURN(std::string chain_pem, read_file(paths.chain));
    if (chain_pem.find("-----BEGIN") != std::string::npos) {
      auto all = pki::Certificate::all_from_pem(chain_pem);
      if (!all)
        return all.error().with_context(paths.chain.string());
      chain = std::move(all).value();
    }
  }
  return CapfIdentity{std::move(cert).value(), std::move(key).value(), std::move(chain)};
}

}  // namespace

Result<CapfIdentity> load_identity(const IdentityPaths& paths,
                                   std::optional<std::string_view> passphrase) {
  CAPF_TRY(roll_forward(paths));
  auto first = load_once(paths, passphrase);
  if (first || first.error().code != ErrorCode::kConflict)
    return first;
  // A mismatch may be a write that was renaming while this read: finish it and read again.
  CAPF_TRY(roll_forward(paths));
  return load_once(paths, passphrase);
}

Status write_identity(const IdentityPaths& paths, const CapfIdentity& identity,
                      std::optional<std::string_view> passphrase) {
  // A marker left by an earlier crash belongs to files about to be overwritten: finish that first.
  CAPF_TRY(roll_forward(paths));
  if (paths.key_uri.empty()) {
    CAPF_ASSIGN_OR_RETURN(std::string key_pem, identity.key.to_pem(passphrase));
    CAPF_TRY(write_file_atomically(staged(paths.key), key_pem, FileMode::kPrivate));
  }
  CAPF_TRY(
      write_file_atomically(staged(paths.cert), identity.certificate.pem(), FileMode::kPublic));
  if (!paths.chain.empty()) {
    std::string chain_pem;
    for (const auto& c : identity.chain)
      chain_pem += c.pem();
    CAPF_TRY(write_file_atomically(staged(paths.chain), chain_pem, FileMode::kPublic));
  }
  CAPF_TRY(write_file_atomically(marker_of(paths), "the CAPF identity is being replaced\n",
                                 FileMode::kPublic));
  sync_directory(paths.cert);
  return roll_forward(paths);
}

}  // namespace capf
