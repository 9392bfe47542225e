#include "phone/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace capf::phone {
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

}  // namespace

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         bool private_file) {
  const auto temp = temp_path_for(path);
  const mode_t mode = private_file ? 0600 : 0644;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return io_error("create", temp, errno);
  }
  std::size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return io_error("write", temp, err);
    }
    written += static_cast<std::size_t>(n);
  }
  // The umask may have narrowed the mode; a key file must be 0600 whatever the umask says.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return io_error("sync", temp, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("close", temp, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("replace", path, err);
  }
  return ok();
}

Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) {
      return io_error("look at", path, ec.value());
    }
    return std::optional<std::string>();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return io_error("open", path, errno);
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return io_error("read", path, errno);
  }
  return std::optional<std::string>(content.str());
}

Result<bool> remove_file_if_exists(const std::filesystem::path& path) {
  std::error_code ec;
  const bool removed = std::filesystem::remove(path, ec);
  if (ec) {
    return io_error("remove", path, ec.value());
  }
  return removed;
}

}  // namespace capf::phone
