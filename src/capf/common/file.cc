#include "capf/common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace capf {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
  return make_error(ErrorCode::kIo, "cannot {} {}: {}", what, path.string(), std::strerror(err));
}

std::filesystem::path temp_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  auto name = path.filename().string();
  name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  return path.parent_path() / name;
}

// Closes `fd`, removes `temp` and returns the error of `what` with the errno it had.
Error abandon(int fd, const std::filesystem::path& temp, std::string_view what) {
  const int err = errno;
  if (fd >= 0)
    ::close(fd);
  ::unlink(temp.c_str());
  return io_error(what, temp, err);
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_error("read", path, errno);
  std::string content;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      const int err = errno;  // EISDIR for a directory
      ::close(fd);
      return io_error("read", path, err);
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec)
      return io_error("look at", path, ec.value());
    return std::optional<std::string>();
  }
  CAPF_ASSIGN_OR_RETURN(std::string content, read_file(path));
  return std::optional<std::string>(std::move(content));
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view content,
                             FileMode mode) {
  const auto temp = temp_path_for(path);
  const mode_t bits = mode == FileMode::kPrivate ? 0600 : mode == FileMode::kPublic ? 0644 : 0666;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, bits);
  if (fd < 0)
    return io_error("create", temp, errno);
  std::size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return abandon(fd, temp, "write");
    written += static_cast<std::size_t>(n);
  }
  // The umask may have narrowed the mode; a key file must be 0600 whatever the umask says.
  if (mode != FileMode::kUmask && ::fchmod(fd, bits) != 0)
    return abandon(fd, temp, "set the mode of");
  if (::fsync(fd) != 0)
    return abandon(fd, temp, "sync");
  if (::close(fd) != 0)
    return abandon(-1, temp, "close");
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("replace", path, err);
  }
  return ok();
}

Result<bool> remove_file_if_exists(const std::filesystem::path& path) {
  std::error_code ec;
  const bool removed = std::filesystem::remove(path, ec);
  if (ec)
    return io_error("remove", path, ec.value());
  return removed;
}

}  // namespace capf
