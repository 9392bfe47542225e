#include "bench/work_dir.h"

#include <linux/magic.h>
#include <signal.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "capf/common/file.h"

namespace capf::bench {

Result<DataOn> parse_data_on(std::string_view text) {
  if (text == "disk")
    return DataOn::kDisk;
  if (text == "tmpfs")
    return DataOn::kTmpfs;
  return make_error(ErrorCode::kInvalidArgument, "--data-on must be disk or tmpfs, not '{}'", text);
}

std::string to_string(DataOn on) {
  return on == DataOn::kDisk ? "disk" : "tmpfs";
}

Result<std::string> filesystem_type(const std::filesystem::path& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0) {
    return make_error(ErrorCode::kIo, "cannot examine the filesystem of {}: {}", path.string(),
                      std::strerror(errno));
  }
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // ext2, ext3 and ext4 share it
      return std::string("ext4");
    case XFS_SUPER_MAGIC:
      return std::string("xfs");
    case BTRFS_SUPER_MAGIC:
      return std::string("btrfs");
    case TMPFS_MAGIC:
      return std::string("tmpfs");
    case OVERLAYFS_SUPER_MAGIC:
      return std::string("overlay");
    default:
      return fmt::format("0x{:x}", static_cast<unsigned long>(fs.f_type));
  }
}

namespace {

constexpr const char* kOwnerFile = "bench.pid";

// Removes the temporary work directories under `parent` whose bench (named in their bench.pid)
// no longer runs: a bench that was killed had no chance to remove its own.
void remove_abandoned(const std::filesystem::path& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    if (entry.path().filename().string().rfind("opencapf-bench.", 0) != 0)
      continue;
    auto owner = read_file(entry.path() / kOwnerFile);
    if (!owner)
      continue;  // not one of ours, or still being made
    const pid_t pid = static_cast<pid_t>(std::atol(owner->c_str()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
      std::filesystem::remove_all(entry.path(), ec);
  }
}

}  // namespace

Result<std::filesystem::path> make_work_dir(DataOn on, const std::filesystem::path& requested) {
  std::filesystem::path dir = requested;
  if (dir.empty()) {
    const std::filesystem::path parent = on == DataOn::kDisk ? "/var/tmp" : "/dev/shm";
    remove_abandoned(parent);
    std::string tmpl = (parent / "opencapf-bench.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return make_error(ErrorCode::kIo, "cannot create {}: {}", tmpl, std::strerror(errno));
    }
    dir = tmpl;
    CAPF_TRY(write_file_atomically(dir / kOwnerFile, std::to_string(::getpid()) + "\n",
                                   FileMode::kPrivate));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return make_error(ErrorCode::kIo, "cannot create {}: {}", dir.string(), ec.message());
  }
  CAPF_ASSIGN_OR_RETURN(std::string type, filesystem_type(dir));
  if ((type == "tmpfs") != (on == DataOn::kTmpfs)) {
    if (requested.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    return make_error(ErrorCode::kInvalidArgument,
                      "{} is on {}, but --data-on {} was asked: choose a directory on {}",
                      dir.string(), type, to_string(on),
                      on == DataOn::kTmpfs ? "tmpfs" : "a disk (not tmpfs)");
  }
  return dir;
}

}  // namespace capf::bench
