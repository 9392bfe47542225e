#include "capf/common/file.h"

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace capf {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

TEST(File, ReadsWholeFilesIncludingEmptyAndBinaryOnes) {
  TempDir dir;
  const std::string binary("a\0b\r\n\xff", 6);
  const std::string big(200 * 1024, 'x');  // more than one read()
  for (const std::string& content : {std::string(), std::string("text\n"), binary, big}) {
    const auto path = dir.write("f", content);
    auto read = read_file(path);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, content);
  }
}

struct UnreadableCase {
  const char* name;
  const char* reason;  // strerror's words
};

TEST(File, OneMessageNamesThePathAndTheSystemsReason) {
  TempDir dir;
  std::filesystem::create_directory(dir / "folder");
  const UnreadableCase cases[] = {
      {"missing", "No such file or directory"},
      {"folder", "Is a directory"},
      {"missing/below", "No such file or directory"},
  };
  for (const auto& c : cases) {
    auto read = read_file(dir / c.name);
    ASSERT_FALSE(read) << c.name;
    EXPECT_EQ(read.error().code, ErrorCode::kIo);
    EXPECT_EQ(read.error().message,
              "cannot read " + (dir / c.name).string() + ": " + std::string(c.reason));
  }
}

TEST(File, ReadIfExistsTellsMissingFromUnreadable) {
  TempDir dir;
  std::filesystem::create_directory(dir / "folder");
  auto missing = read_file_if_exists(dir / "missing");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto present = read_file_if_exists(dir.write("f", "x"));
  ASSERT_TRUE(present);
  EXPECT_EQ(present->value_or(""), "x");
  auto folder = read_file_if_exists(dir / "folder");
  ASSERT_FALSE(folder);
  EXPECT_THAT(folder.error().message, HasSubstr("Is a directory"));
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(File, WritesAtomicallyWithTheAskedModeWhateverTheUmask) {
  TempDir dir;
  const mode_t old_umask = ::umask(027);
  ASSERT_TRUE(write_file_atomically(dir / "key", "secret", FileMode::kPrivate));
  ASSERT_TRUE(write_file_atomically(dir / "cert", "public", FileMode::kPublic));
  ASSERT_TRUE(write_file_atomically(dir / "conf", "usual", FileMode::kUmask));
  ::umask(old_umask);
  EXPECT_EQ(mode_of(dir / "key"), 0600u);
  EXPECT_EQ(mode_of(dir / "cert"), 0644u);
  EXPECT_EQ(mode_of(dir / "conf"), 0640u);
  // Replacing keeps no temporary file behind.
  ASSERT_TRUE(write_file_atomically(dir / "key", "", FileMode::kPrivate));
  EXPECT_EQ(*read_file(dir / "key"), "");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 3);
}

TEST(File, AWriteThatCannotHappenNamesTheFile) {
  TempDir dir;
  auto status = write_file_atomically(dir / "no" / "such" / "dir", "x", FileMode::kPrivate);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kIo);
  EXPECT_THAT(status.error().message, HasSubstr((dir / "no" / "such").string()));
  EXPECT_THAT(status.error().message, HasSubstr("No such file or directory"));
}

TEST(File, RemoveIfExists) {
  TempDir dir;
  dir.write("f", "x");
  EXPECT_TRUE(*remove_file_if_exists(dir / "f"));
  EXPECT_FALSE(*remove_file_if_exists(dir / "f"));
}

}  // namespace
}  // namespace capf
