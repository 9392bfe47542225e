// read_archive against archives built with write_tgz: the limits hold while decompressing, and a
// refused archive says which limit it broke.
#include "capf/service/tar_archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;

std::vector<ArchiveEntry> zero_files(std::size_t count, std::size_t bytes) {
  std::vector<ArchiveEntry> entries;
  for (std::size_t i = 0; i < count; ++i)
    entries.push_back({fmt::format("f{:05}.der", i), std::string(bytes, '\0')});
  return entries;
}

struct LimitCase {
  const char* name;
  std::size_t files;
  std::size_t bytes_each;
  ArchiveLimits limits;
  const char* refusal;  // nullptr: every file is read
};

TEST(TarArchive, EnforcesItsLimitsAndNamesTheOneBroken) {
  const LimitCase cases[] = {
      {"within the defaults", 3, 2000, {}, nullptr},
      // 65 MiB of zeros is a ~70 KB .tgz: the total cap, not the upload size, stops it.
      {"zeros past 64 MiB", 65, 1 << 20, {}, "expands to more than 64 MiB"},
      {"more entries than the default", 10001, 0, {}, "more than 10000 entries"},
      {"past a small total", 3, 4096, {10, 1 << 20, 10000}, "expands to more than 10000 bytes"},
      {"exactly the entry limit", 4, 10, {4, 1 << 20, 1 << 20}, nullptr},
      {"one entry too many", 5, 10, {4, 1 << 20, 1 << 20}, "more than 4 entries"},
      {"one file too large", 1, 2 << 20, {}, "larger than 1 MiB"},
  };
  TempDir dir;
  for (const LimitCase& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = dir / "in.tgz";
    ASSERT_TRUE(write_tgz(path, zero_files(c.files, c.bytes_each)));
    auto read = read_archive(path, c.limits);
    if (c.refusal == nullptr) {
      ASSERT_TRUE(read) << read.error().message;
      EXPECT_EQ(read->size(), c.files);
      continue;
    }
    ASSERT_FALSE(read) << "read " << read->size() << " files";
    EXPECT_EQ(read.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(read.error().message, HasSubstr(c.refusal));
    EXPECT_THAT(read.error().message, HasSubstr(path.string()));
  }
}

TEST(TarArchive, TheZeroBombIsSmallOnDisk) {
  // The case above is only a test of the cap if the upload itself is small.
  TempDir dir;
  const auto path = dir / "bomb.tgz";
  ASSERT_TRUE(write_tgz(path, zero_files(65, 1 << 20)));
  EXPECT_LT(std::filesystem::file_size(path), 512u * 1024);
}

TEST(TarArchive, ReadsBackWhatItWrote) {
  TempDir dir;
  const auto path = dir / "out.tgz";
  ASSERT_TRUE(write_tgz(path, {{"a.der", "first"}, {"sub/b.der", std::string("x\0y", 3)}}));
  auto read = read_archive(path);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].name, "a.der");
  EXPECT_EQ((*read)[1].data, std::string("x\0y", 3));
}

TEST(TarArchive, NotAnArchiveIsNamed) {
  TempDir dir;
  auto read = read_archive(dir.write("junk.tgz", "\x1f\x8bnot really gzip"));
  ASSERT_FALSE(read);
  EXPECT_THAT(read.error().message, HasSubstr("junk.tgz"));
}

}  // namespace
}  // namespace capf::testing
