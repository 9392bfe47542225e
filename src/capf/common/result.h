// Result<T>: the value of an operation the outside world can make fail, or the Error that says why.
// Shaped like std::expected (which g++ 12 lacks in C++20): has_value(), value(), error(),
// operator*, operator->, and explicit construction from an Error. Exceptions never cross a module
// boundary.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace capf {

enum class ErrorCode {
  kInvalidArgument,  // bad input from an admin, a file or a configuration
  kMalformed,        // bytes from a peer that do not parse
  kProtocol,         // a well-formed message in the wrong place or with the wrong values
  kNotFound,
  kAlreadyExists,
  kCrypto,     // OpenSSL refused (bad key, bad signature, verification failure)
  kUntrusted,  // a certificate that does not chain to the configured anchors
  kIo,         // file system or socket
  kDatabase,
  kTimeout,
  kUnavailable,       // a peer or resource that is down or over capacity
  kPermissionDenied,  // an authentication or authorisation refusal
  kConflict,          // the state changed under the caller
  kInternal,          // our own bug
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Returns a copy whose message is "context: message".
  Error with_context(std::string_view context) const {
    return Error{code, fmt::format("{}: {}", context, message)};
  }
};

template <typename... Args>
Error make_error(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Error{code, fmt::format(format, std::forward<Args>(args)...)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok() {
  return Status();
}

}  // namespace capf

// CAPF_TRY(expr): evaluates a Result<void>-like expression and returns its error from the caller.
#define CAPF_TRY(expr)                 \
  do {                                 \
    auto capf_try_result_ = (expr);    \
    if (!capf_try_result_) {           \
      return capf_try_result_.error(); \
    }                                  \
  } while (false)

#define CAPF_CONCAT_INNER_(a, b) a##b
#define CAPF_CONCAT_(a, b) CAPF_CONCAT_INNER_(a, b)

// CAPF_ASSIGN_OR_RETURN(lhs, expr): lhs = *expr, or return expr's error from the caller.
#define CAPF_ASSIGN_OR_RETURN(lhs, expr) \
  CAPF_ASSIGN_OR_RETURN_IMPL_(CAPF_CONCAT_(capf_result_, __LINE__), lhs, expr)
// `tmp` and `lhs` are a name and a declaration, which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define CAPF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp) {                                       \
    return tmp.error();                             \
  }                                                 \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
