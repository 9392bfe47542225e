// Reading and writing .tgz archives (libarchive): CUCM's offline-CA exchange moves certificates
// as a .tgz of .der files, and `opencapf offline export` offers the requests the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "capf/common/result.h"

namespace capf {

struct ArchiveEntry {
  std::string name;  // the path inside the archive
  std::string data;
};

// What one import may cost. An archive is input from outside, and gzip shrinks zeros a
// thousandfold: a 400 KB upload could otherwise make the server hold hundreds of MB.
struct ArchiveLimits {
  std::size_t max_entries = 10000;              // headers of any kind (files, folders, links)
  std::size_t max_file_bytes = 1 << 20;         // one file: certificates are a few KB
  std::uint64_t max_total_bytes = 64ull << 20;  // the whole decompressed tar stream
};

// Every regular file of a .tgz / .tar.gz / .tar. The limits are enforced while decompressing, so
// a refused archive never costs more than them. kInvalidArgument naming the file if it is not an
// archive or is damaged, and naming the limit if it exceeds one.
Result<std::vector<ArchiveEntry>> read_archive(const std::filesystem::path& path,
                                               const ArchiveLimits& limits = {});
// Writes the entries as a gzip-compressed tar file.
Status write_tgz(const std::filesystem::path& path, const std::vector<ArchiveEntry>& entries);

}  // namespace capf
