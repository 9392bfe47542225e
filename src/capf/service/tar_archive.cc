#include "capf/service/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace capf {

namespace {
struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
}  // namespace

Result<std::vector<ArchiveEntry>> read_archive(const std::filesystem::path& path,
                                               std::size_t max_entries, std::size_t max_bytes) {
  std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return make_error(ErrorCode::kInvalidArgument, "{} is not a readable .tgz archive: {}",
                      path.string(), archive_error_string(a.get()));
  }
  std::vector<ArchiveEntry> out;
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return make_error(ErrorCode::kInvalidArgument, "{}: the archive is damaged: {}",
                        path.string(), archive_error_string(a.get()));
    }
    if (archive_entry_filetype(entry) != AE_IFREG)
      continue;
    if (out.size() >= max_entries) {
      return make_error(ErrorCode::kInvalidArgument, "{} holds more than {} files", path.string(),
                        max_entries);
    }
    la_int64_t size = archive_entry_size(entry);
    if (size < 0 || static_cast<std::size_t>(size) > max_bytes) {
      return make_error(ErrorCode::kInvalidArgument, "{}: {} is larger than {} bytes",
                        path.string(), archive_entry_pathname(entry), max_bytes);
    }
    ArchiveEntry e;
    e.name = archive_entry_pathname(entry);
    e.data.resize(static_cast<std::size_t>(size));
    la_ssize_t n = archive_read_data(a.get(), e.data.data(), e.data.size());
    if (n < 0 || static_cast<std::size_t>(n) != e.data.size()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: cannot read {}: {}", path.string(),
                        e.name, archive_error_string(a.get()));
    }
    out.push_back(std::move(e));
  }
  return out;
}

Status write_tgz(const std::filesystem::path& path, const std::vector<ArchiveEntry>& entries) {
  std::unique_ptr<archive, WriteDeleter> a(archive_write_new());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) {
    return make_error(ErrorCode::kIo, "cannot write {}: {}", path.string(),
                      archive_error_string(a.get()));
  }
  for (const ArchiveEntry& e : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.data.size()));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), e.data.data(), e.data.size()) !=
            static_cast<la_ssize_t>(e.data.size())) {
      return make_error(ErrorCode::kIo, "cannot write {} into {}: {}", e.name, path.string(),
                        archive_error_string(a.get()));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return make_error(ErrorCode::kIo, "cannot finish {}: {}", path.string(),
                      archive_error_string(a.get()));
  }
  return ok();
}

}  // namespace capf
