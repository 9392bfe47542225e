#include "bench/work_dir.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>

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

Result<std::filesystem::path> make_work_dir(DataOn on, const std::filesystem::path& requested) {
  std::filesystem::path dir = requested;
  if (dir.empty()) {
    std::string tmpl =
        on == DataOn::kDisk ? "/var/tmp/opencapf-bench.XXXXXX" : "/dev/shm/opencapf-bench.XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return make_error(ErrorCode::kIo, "cannot create {}: {}", tmpl, std::strerror(errno));
    }
    dir = tmpl;
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
