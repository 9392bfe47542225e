// The registry conformance suite: every Registry implementation passes the same tests (SQLite in
// sqlite_registry_test.cc, PostgreSQL in postgres_registry_test.cc). An implementation joins with
// one line in its own test file:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, RegistryConformance,
//                            ::testing::Values(RegistryBackendFactory{"sqlite", &make_backend}),
//                            RegistryConformance::backend_name);
//
// The suite uses the Registry interface only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/device_store.h"

namespace capf::testing {

// One empty database of an implementation. Each open() is a new, independent connection to that
// same database, as another process or another node would have.
class RegistryBackend {
 public:
  virtual ~RegistryBackend() = default;
  virtual Result<std::unique_ptr<Registry>> open(const Clock& clock) = 0;
};

struct RegistryBackendFactory {
  std::string name;
  // Makes a backend over a fresh empty database, or returns nullptr when it cannot (no PostgreSQL
  // server could be started): the test then fails, it is never skipped.
  std::function<std::unique_ptr<RegistryBackend>()> make;
};

class RegistryConformance : public ::testing::TestWithParam<RegistryBackendFactory> {
 public:
  static std::string backend_name(const ::testing::TestParamInfo<RegistryBackendFactory>& info) {
    return info.param.name;
  }

 protected:
  void SetUp() override;

  // Another connection to the same database.
  std::unique_ptr<Registry> open_another();

  FakeClock clock_{from_unix(1'750'000'000)};
  std::unique_ptr<RegistryBackend> backend_;
  std::unique_ptr<Registry> registry_;
};

// A device with every field at its default. (Device{n} alone trips g++ 12's
// -Wmissing-field-initializers: some Device members have no default member initializer.)
inline Device blank_device(DeviceName name) {
  return Device{.name = std::move(name),
                .auth_string = std::nullopt,
                .deadline = std::nullopt,
                .status = OperationStatus::none(),
                .status_detail = {},
                .lsc = std::nullopt,
                .description = {}};
}

// Assertion helpers shared by the store tests.
template <typename R>
::testing::AssertionResult is_ok(const R& r) {
  if (r.has_value()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << to_string(r.error().code) << ": " << r.error().message;
}

template <typename R>
::testing::AssertionResult is_error(const R& r, ErrorCode code) {
  if (r.has_value()) {
    return ::testing::AssertionFailure() << "succeeded, expected " << to_string(code);
  }
  if (r.error().code != code) {
    return ::testing::AssertionFailure() << "failed with " << to_string(r.error().code) << " ("
                                         << r.error().message << "), expected " << to_string(code);
  }
  return ::testing::AssertionSuccess();
}

// EXPECT_EQ on each of the members of `a` and `b`; a mismatch names the member's position in the
// list (0 for the first).
template <typename T, typename... Members>
void expect_same_members(const T& a, const T& b, Members T::*... members) {
  int position = 0;
  auto check = [&position](const auto& x, const auto& y) {
    EXPECT_EQ(x, y) << "member " << position++;
  };
  (check(a.*members, b.*members), ...);
}

}  // namespace capf::testing

// ASSERT_OK_AND_ASSIGN(lhs, expr): lhs = *expr, or fail the test with expr's error.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(CAPF_CONCAT_(assert_result_, __LINE__), lhs, expr)
// `tmp` and `lhs` are a name and a declaration, which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(::capf::testing::is_ok(tmp));        \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
