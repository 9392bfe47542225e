// Whole-file reads and writes that never leave a half-written file behind. Every error is kIo and
// names the path and the system's reason ("cannot read /x/y.pem: No such file or directory");
// callers add what the file is for and what to do about it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "capf/common/result.h"

namespace capf {

// The whole file. kIo if it is missing, a directory, or unreadable.
Result<std::string> read_file(const std::filesystem::path& path);

// The whole file, nullopt if it does not exist; kIo if it exists but cannot be read.
Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path);

// Permissions of a file written by write_file_atomically.
enum class FileMode {
  kPrivate,  // 0600 whatever the umask (keys, registries)
  kPublic,   // 0644 whatever the umask (certificates phones and CUCM receive)
  kUmask,    // 0666 less the process's umask
};

// Replaces `path` with `content` through a temporary file in the same directory (unique name,
// fsync, rename): a reader sees the old file or the new one, never half of one.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content,
                             FileMode mode);

// Removes `path`; true if it existed. kIo if it could not be removed.
Result<bool> remove_file_if_exists(const std::filesystem::path& path);

}  // namespace capf
