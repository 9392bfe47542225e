// Reading and writing .tgz archives (libarchive): CUCM's offline-CA exchange moves certificates
// as a .tgz of .der files, and `opencapf offline export` offers the requests the same way.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "capf/common/result.h"

namespace capf {

struct ArchiveEntry {
  std::string name;  // the path inside the archive
  std::string data;
};

// Every regular file of a .tgz / .tar.gz / .tar (at most `max_entries` files of `max_bytes`
// each: an archive is input from outside). kInvalidArgument naming the file if it is not one.
Result<std::vector<ArchiveEntry>> read_archive(const std::filesystem::path& path,
                                               std::size_t max_entries = 100000,
                                               std::size_t max_bytes = 1 << 20);
// Writes the entries as a gzip-compressed tar file.
Status write_tgz(const std::filesystem::path& path, const std::vector<ArchiveEntry>& entries);

}  // namespace capf
