// libFuzzer driver for the Offline CA import (service/offline_admin.h, service/tar_archive.h):
// the input is the file an administrator or the API hands to OfflineAdmin::import, which reads it
// (a .tgz through libarchive, or PEM/DER certificates), matches each certificate to a waiting
// request and checks its chain. The registry has no waiting request, so nothing is ever applied;
// each input is rolled back all the same. The first byte picks the file name, and so the reader:
//   even  upload.tgz (read_archive, then each member as certificates)
//   odd   upload.pem (the bytes as PEM or DER certificates)
// read_archive is also called directly, to check its bound on a file's size.
#include "capf/service/offline_admin.h"
#include "capf/service/tar_archive.h"
#include "fuzz/fuzz_registry.h"

namespace capf {
namespace {

using fuzz::require;

// read_archive with its default limits (a file of at most 1 MiB) is what the import uses.
void check_archive(const std::filesystem::path& file) {
  auto entries = read_archive(file);
  if (!entries) {
    require(!entries.error().message.empty(), "a refused archive says why");
    return;
  }
  for (const auto& e : *entries)
    require(e.data.size() <= (1u << 20), "read_archive keeps to its file size bound");
}

void check_import(Registry& registry, const std::filesystem::path& file) {
  TrustStores trust(registry);
  OfflineAdmin offline(registry, trust, fuzz::fixed_clock(), std::vector<pki::Certificate>{});
  auto report = offline.import({file}, /*partial=*/true, "fuzz");
  if (!report)
    return;
  require(!report->lines.empty() || report->errors == 0, "errors come with their lines");
  require(report->imported == 0 && report->stale == 0, "nothing matches a request");
  int failed = 0;
  for (const auto& line : report->lines) {
    require(!line.source.empty() && !line.outcome.empty(), "a report line names its file");
    failed += line.ok ? 0 : 1;
  }
  require(failed == report->errors, "the error count matches the lines");
}

// Writes the bytes as NAME (the suffix picks the reader) and runs both checks on it.
void check_file(std::string_view name, ByteView bytes) {
  const auto file = fuzz::scratch_dir() / name;
  fuzz::write_file(file,
                   std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  check_archive(file);
  Registry& registry = fuzz::shared_registry(fuzz::seed_devices);
  fuzz::rolled_back(registry, [&] { check_import(registry, file); });
}

}  // namespace
}  // namespace capf

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf;
  fuzz::by_mode(data, size,
                {[](ByteView bytes) { check_file("upload.tgz", bytes); },
                 [](ByteView bytes) { check_file("upload.pem", bytes); }});
  return 0;
}
