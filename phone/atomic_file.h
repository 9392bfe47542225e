// Small file helpers for the simulated phone's state: whole-file reads, and writes that never
// leave a half-written file behind (temporary file in the same directory, fsync, rename).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "capf/common/result.h"

namespace capf::phone {

// Writes `content` to `path` atomically. `private_file` creates it with mode 0600 (for keys),
// otherwise 0644. kIo with the path and the system's reason.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         bool private_file);

// The whole file, nullopt if it does not exist; kIo if it exists but cannot be read.
Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path);

// Removes `path`; true if it existed. kIo if it could not be removed.
Result<bool> remove_file_if_exists(const std::filesystem::path& path);

}  // namespace capf::phone
