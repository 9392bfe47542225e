// What the drivers share: the invariant check (an abort is what libFuzzer reports as a crash) and
// a scratch directory for the parsers that take a path or keep state in files.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"

namespace capf::fuzz {

inline void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

// One directory per fuzzing process under $TMPDIR, removed when the process exits normally (a
// crash leaves it for the post-mortem).
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "opencapf-fuzz-XXXXXX").string();
      require(::mkdtemp(pattern.data()) != nullptr, "mkdtemp makes the scratch directory");
      path = pattern;
    }
    ~Dir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Replaces the file's contents; the parsers under test read it back by path.
inline void write_file(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  require(static_cast<bool>(out), "the scratch file is written");
}

// The drivers whose first byte picks how the rest is read: calls modes[first byte % count] on the
// rest; an empty input does nothing.
inline void by_mode(const std::uint8_t* data, std::size_t size,
                    std::initializer_list<std::function<void(ByteView)>> modes) {
  if (size == 0)
    return;
  (modes.begin() + data[0] % modes.size())->operator()(ByteView(data + 1, size - 1));
}

}  // namespace capf::fuzz
