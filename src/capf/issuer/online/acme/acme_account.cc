#include "capf/issuer/online/acme/acme_account.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "capf/common/file.h"

namespace capf::acme {

namespace {

Result<pki::PrivateKey> load(const std::filesystem::path& path) {
  auto pem = read_file(path);
  if (!pem)
    return pem.error().with_context("the acme account key");
  auto key = pki::PrivateKey::from_pem(*pem);
  if (!key) {
    return key.error().with_context(
        fmt::format("acme account key {} (an unencrypted PEM key is needed; remove the file to "
                    "have opencapf create one)",
                    path.string()));
  }
  return key;
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_error(ErrorCode::kIo, "write failed: {}", std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

// Writes `pem` to a new file next to `path`; returns the temporary file's name.
Result<std::filesystem::path> write_temporary(const std::filesystem::path& path,
                                              std::string_view pem) {
  std::random_device random;
  std::filesystem::path temporary =
      path.parent_path() / fmt::format(".{}.{:08x}.tmp", path.filename().string(), random());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      "cannot create the acme account key next to {}: {} (check that the folder "
                      "exists and is writable by opencapf)",
                      path.string(), std::strerror(errno));
  }
  Status written = write_all(fd, pem);
  if (written && ::fsync(fd) != 0)
    written = make_error(ErrorCode::kIo, "fsync failed: {}", std::strerror(errno));
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    return written.error().with_context(
        fmt::format("cannot write the acme account key {}", temporary.string()));
  }
  return temporary;
}

}  // namespace

Result<pki::PrivateKey> load_or_create_account_key(const std::filesystem::path& path) {
  if (path.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no acme account key file is configured: set acme_account_key_file to a "
                      "path where opencapf may keep its acme account key");
  }
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return load(path);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot look for the acme account key {}: {}", path.string(),
                      ec.message());
  }
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::generate({KeyType::kEc, 256}));
  CAPF_ASSIGN_OR_RETURN(std::string pem, key.to_pem());
  CAPF_ASSIGN_OR_RETURN(std::filesystem::path temporary, write_temporary(path, pem));
  // link() never replaces an existing file: if another process made the key first, use theirs.
  int linked = ::link(temporary.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST)
      return load(path);
    return make_error(ErrorCode::kIo, "cannot create the acme account key {}: {}", path.string(),
                      std::strerror(link_errno));
  }
  // Make the new name durable too.
  int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return key;
}

}  // namespace capf::acme
