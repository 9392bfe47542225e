#include "capf/service/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>

namespace capf {

namespace {

// libarchive's last error text, which is NULL when it set none (formatting NULL is a crash).
const char* archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown error";
}
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

namespace {

// The decompressed tar stream, fed to the tar reader block by block and counted on the way: the
// cap holds for everything libarchive reads, headers and pax records included.
struct CountedStream {
  archive* decompressor = nullptr;
  std::uint64_t total = 0;
  std::uint64_t cap = 0;
  bool over_cap = false;
};

la_ssize_t read_counted(archive* tar, void* client, const void** buffer) {
  auto* stream = static_cast<CountedStream*>(client);
  std::size_t size = 0;
  la_int64_t offset = 0;
  int rc = archive_read_data_block(stream->decompressor, buffer, &size, &offset);
  if (rc == ARCHIVE_EOF)
    return 0;
  if (rc != ARCHIVE_OK) {
    archive_set_error(tar, EIO, "%s", archive_message(stream->decompressor));
    return -1;
  }
  stream->total += size;
  if (stream->total > stream->cap) {
    stream->over_cap = true;
    archive_set_error(tar, EFBIG, "over the size limit");
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

std::string mib(std::uint64_t bytes) {
  return bytes % (1 << 20) == 0 ? fmt::format("{} MiB", bytes >> 20)
                                : fmt::format("{} bytes", bytes);
}

}  // namespace

Result<std::vector<ArchiveEntry>> read_archive(const std::filesystem::path& path,
                                               const ArchiveLimits& limits) {
  // Stage one only decompresses (the "raw" format: the whole stream as one entry); stage two
  // reads tar from it through read_counted.
  std::unique_ptr<archive, ReadDeleter> raw(archive_read_new());
  archive_read_support_filter_gzip(raw.get());
  archive_read_support_filter_none(raw.get());
  archive_read_support_format_raw(raw.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_filename(raw.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK ||
      archive_read_next_header(raw.get(), &entry) != ARCHIVE_OK) {
    return make_error(ErrorCode::kInvalidArgument, "{} is not a readable .tgz archive: {}",
                      path.string(), archive_message(raw.get()));
  }
  CountedStream stream{raw.get(), 0, limits.max_total_bytes, false};
  std::unique_ptr<archive, ReadDeleter> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  const auto too_large = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} expands to more than {}, the most one import takes: split it into "
                      "smaller archives",
                      path.string(), mib(limits.max_total_bytes));
  };
  if (archive_read_open(a.get(), &stream, nullptr, read_counted, nullptr) != ARCHIVE_OK) {
    if (stream.over_cap)
      return too_large();
    return make_error(ErrorCode::kInvalidArgument, "{} is not a readable .tgz archive: {}",
                      path.string(), archive_message(a.get()));
  }
  std::vector<ArchiveEntry> out;
  std::size_t headers = 0;
  while (true) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF)
      break;
    if (stream.over_cap)
      return too_large();
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return make_error(ErrorCode::kInvalidArgument, "{}: the archive is damaged: {}",
                        path.string(), archive_message(a.get()));
    }
    if (++headers > limits.max_entries) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} holds more than {} entries, the most one import takes: split it into "
                        "smaller archives",
                        path.string(), limits.max_entries);
    }
    if (archive_entry_filetype(entry) != AE_IFREG)
      continue;
    la_int64_t size = archive_entry_size(entry);
    if (size < 0 || static_cast<std::size_t>(size) > limits.max_file_bytes) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: {} is larger than {}: it cannot be a certificate", path.string(),
                        archive_entry_pathname(entry), mib(limits.max_file_bytes));
    }
    ArchiveEntry e;
    e.name = archive_entry_pathname(entry);
    e.data.resize(static_cast<std::size_t>(size));
    la_ssize_t n = archive_read_data(a.get(), e.data.data(), e.data.size());
    if (stream.over_cap)
      return too_large();
    if (n < 0 || static_cast<std::size_t>(n) != e.data.size()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: cannot read {}: {}", path.string(),
                        e.name, archive_message(a.get()));
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
                      archive_message(a.get()));
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
                        archive_message(a.get()));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return make_error(ErrorCode::kIo, "cannot finish {}: {}", path.string(),
                      archive_message(a.get()));
  }
  return ok();
}

}  // namespace capf
