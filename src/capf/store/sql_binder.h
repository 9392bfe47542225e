// SqlBinder: the bind() overloads every SQL engine's query offers (text, integers, times as Unix
// seconds, optional values as NULL), over the three an engine implements: bind_text,
// bind_integer and bind_null. An engine's query derives from SqlBinder<itself> (CRTP).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "capf/common/clock.h"

namespace capf {

template <typename Query>
class SqlBinder {
 public:
  Query& bind(std::string_view text) { return self().bind_text(text); }
  Query& bind(const char* text) { return bind(std::string_view(text)); }
  Query& bind(const std::string& text) { return bind(std::string_view(text)); }
  Query& bind(std::int64_t value) { return self().bind_integer(value); }
  Query& bind(int value) { return bind(static_cast<std::int64_t>(value)); }
  Query& bind(TimePoint t) { return bind(to_unix(t)); }  // Unix seconds
  template <typename T>
  Query& bind(const std::optional<T>& value) {
    return value ? bind(*value) : self().bind_null();
  }

 private:
  Query& self() { return static_cast<Query&>(*this); }
};

}  // namespace capf
