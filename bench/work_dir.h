// Where the benchmark keeps the server's data directory: on disk by default (what a user's
// server has, so every fsync reaches the device), or on tmpfs to see what the disk costs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "capf/common/result.h"

namespace capf::bench {

enum class DataOn { kDisk, kTmpfs };

Result<DataOn> parse_data_on(std::string_view text);  // "disk" | "tmpfs"
std::string to_string(DataOn on);

// The type of the filesystem holding `path` (statfs): "ext4", "xfs", "btrfs", "tmpfs", "overlay"
// or "0x<magic>", or an error when `path` cannot be examined.
Result<std::string> filesystem_type(const std::filesystem::path& path);

// The benchmark's work directory: `requested` when given (it must exist or be creatable, and sit
// on the kind of filesystem `on` names), else a new directory under /var/tmp (disk) or /dev/shm
// (tmpfs). /tmp is not used: it is tmpfs on many systems. Refuses a directory on the wrong kind.
// A new directory holds bench.pid (this process); making one first removes those that a killed
// bench left behind (their bench.pid names no running process).
Result<std::filesystem::path> make_work_dir(DataOn on, const std::filesystem::path& requested);

}  // namespace capf::bench
