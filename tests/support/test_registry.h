// open_test_registry: the SQLite registry of a test above the store, in a directory the test owns
// (a TempDir), without fsync so that tests stay fast (unless the test is about the fsync). nullptr
// (and a failed expectation naming SQLite's reason) when it cannot be opened. Tests of the store
// itself open it themselves.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "capf/common/clock.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf::testing {

inline std::unique_ptr<SqliteRegistry> open_test_registry(const std::filesystem::path& dir,
                                                          const Clock& clock,
                                                          int busy_timeout_ms = 5000,
                                                          bool fsync = false) {
  auto registry =
      SqliteRegistry::open((dir / "registry.db").string(), clock,
                           {.synchronous_full = fsync, .busy_timeout_ms = busy_timeout_ms});
  EXPECT_TRUE(registry) << registry.error().message;
  return registry ? std::move(registry).value() : nullptr;
}

}  // namespace capf::testing
