// Spelling<E>: one row per value of a domain enum, with its short name (what the CLI, the API and
// the registry write: "install", "lsc", "invalid-auth-string") and CUCM's display text
// ("Install/Upgrade", "By Existing Certificate (precedence to LSC)"). Each enum has one table in
// device.h; to_string, short_name, the parsers and the registry's stored names all read it.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace capf {

template <typename E>
struct Spelling {
  E value;
  std::string_view name;     // short name, lower case, stable: stored in the registry
  std::string_view display;  // CUCM's words, as its pages show them
};

// Every value of a table, in its order (for loops over all values of an enum).
template <typename E, std::size_t N>
constexpr std::array<E, N> values_of(const Spelling<E> (&table)[N]) {
  std::array<E, N> out{};
  for (std::size_t i = 0; i < N; ++i)
    out[i] = table[i].value;
  return out;
}

// The row of `value`; nullptr for a value outside the enum (a cast from a bad integer).
template <typename E, std::size_t N>
constexpr const Spelling<E>* spelling_of(const Spelling<E> (&table)[N], E value) {
  for (const auto& row : table) {
    if (row.value == value)
      return &row;
  }
  return nullptr;
}

template <typename E, std::size_t N>
constexpr std::string_view name_of(const Spelling<E> (&table)[N], E value) {
  const Spelling<E>* row = spelling_of(table, value);
  return row == nullptr ? "?" : row->name;
}

template <typename E, std::size_t N>
constexpr std::string_view display_of(const Spelling<E> (&table)[N], E value) {
  const Spelling<E>* row = spelling_of(table, value);
  return row == nullptr ? "?" : row->display;
}

// The value whose short name is `text` (or, with `or_display`, whose display text is).
template <typename E, std::size_t N>
constexpr std::optional<E> parse_spelling(const Spelling<E> (&table)[N], std::string_view text,
                                          bool or_display) {
  for (const auto& row : table) {
    if (text == row.name || (or_display && text == row.display))
      return row.value;
  }
  return std::nullopt;
}

}  // namespace capf
