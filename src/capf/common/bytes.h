// Byte buffers and the big-endian integer helpers every wire format here uses.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace capf {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string to_string(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string to_hex(ByteView bytes);
// Accepts upper and lower case, optional ':' or whitespace between bytes; nullopt on anything else.
std::optional<Bytes> from_hex(std::string_view hex);

inline void put_u8(Bytes& out, std::uint8_t v) {
  out.push_back(v);
}
inline void put_u16be(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void put_u32be(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}
inline void put_u32le(Bytes& out, std::uint32_t v) {
  for (int shift = 0; shift <= 24; shift += 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}
inline void append(Bytes& out, ByteView more) {
  out.insert(out.end(), more.begin(), more.end());
}

inline std::uint16_t get_u16be(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get_u32be(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Compares in time independent of where the first difference is (for secrets).
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace capf
