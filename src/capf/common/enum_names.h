// EnumName<E>: one row per value of a small enum with the name logs, metrics and messages print.
// A table of rows replaces a switch per enum; name_in and value_in read it. Enums that the CLI, API
// or registry also parse, with CUCM's display text beside the name, use domain/spelling.h instead.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace capf {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

// The name of `value` in `table`; `unknown` for a value outside it (a cast from a bad integer).
template <typename E, std::size_t N>
constexpr std::string_view name_in(const EnumName<E> (&table)[N], E value,
                                   std::string_view unknown = "?") {
  for (const auto& row : table) {
    if (row.value == value)
      return row.name;
  }
  return unknown;
}

// The value named `text` in `table`, if any.
template <typename E, std::size_t N>
constexpr std::optional<E> value_in(const EnumName<E> (&table)[N], std::string_view text) {
  for (const auto& row : table) {
    if (row.name == text)
      return row.value;
  }
  return std::nullopt;
}

}  // namespace capf
