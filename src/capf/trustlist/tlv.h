// The tag | length | value elements of ITL, CTL and .sgn files (docs/trust-lists.md §1): writing
// them, and reading them with every error naming the byte offset where the file goes wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/result.h"

namespace capf::trustlist {

// Header tags (docs/trust-lists.md §2).
namespace header_tag {
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint8_t kHeaderLength = 2;
inline constexpr std::uint8_t kSignerInfo = 3;
inline constexpr std::uint8_t kSignerName = 4;
inline constexpr std::uint8_t kSerialNumber = 5;
inline constexpr std::uint8_t kIssuerName = 6;
inline constexpr std::uint8_t kSignatureInfo = 7;
inline constexpr std::uint8_t kDigestAlgorithm = 8;
inline constexpr std::uint8_t kSignatureAlgorithmInfo = 9;
inline constexpr std::uint8_t kSignatureAlgorithm = 10;
inline constexpr std::uint8_t kSignatureModulus = 11;
inline constexpr std::uint8_t kSignature = 12;
inline constexpr std::uint8_t kPadding = 13;  // one byte, no length
inline constexpr std::uint8_t kFilename = 14;
inline constexpr std::uint8_t kTimestamp = 15;
inline constexpr std::uint8_t kSignerVersion = 28;
}  // namespace header_tag

// Record tags (docs/trust-lists.md §3).
namespace record_tag {
inline constexpr std::uint8_t kRecordLength = 1;
inline constexpr std::uint8_t kDnsName = 2;
inline constexpr std::uint8_t kSubjectName = 3;
inline constexpr std::uint8_t kRole = 4;
inline constexpr std::uint8_t kIssuerName = 5;
inline constexpr std::uint8_t kSerialNumber = 6;
inline constexpr std::uint8_t kPublicKey = 7;
inline constexpr std::uint8_t kSignature = 8;
inline constexpr std::uint8_t kCertificate = 9;
inline constexpr std::uint8_t kIpAddress = 10;
inline constexpr std::uint8_t kCertificateHash = 11;
inline constexpr std::uint8_t kHashAlgorithm = 12;
}  // namespace record_tag

// Appends tag | length | value. kInvalidArgument naming `what` when the value is over 65535 bytes.
Status put_element(Bytes& out, std::uint8_t tag, ByteView value, std::string_view what);
// A text value: the bytes of `text` and a terminating NUL.
Status put_text(Bytes& out, std::uint8_t tag, std::string_view text, std::string_view what);
void put_u8_element(Bytes& out, std::uint8_t tag, std::uint8_t value);
void put_u16_element(Bytes& out, std::uint8_t tag, std::uint16_t value);
void put_u32_element(Bytes& out, std::uint8_t tag, std::uint32_t value);

struct Element {
  std::uint8_t tag = 0;
  std::size_t offset = 0;  // of the tag byte, from the start of the file
  ByteView value;
};

// Reads elements from data[begin, end), where `data` is the whole file (so offsets are the
// file's). `where` names the region in errors ("the header", "record 2").
class ElementReader {
 public:
  ElementReader(ByteView data, std::size_t begin, std::size_t end, std::string where)
      : data_(data), pos_(begin), end_(end), where_(std::move(where)) {}

  bool done() const { return pos_ >= end_; }
  std::size_t offset() const { return pos_; }
  // The next byte, without moving (done() must be false).
  std::uint8_t peek() const { return data_[pos_]; }
  void skip(std::size_t n) { pos_ += n; }
  // The tag and length at the current offset, stepping over them but not over the value (for
  // the containers SIGNER_INFO and SIGNATURE_INFO, whose value is the elements that follow).
  // kMalformed when the three bytes or the announced length run past the end of the region.
  Result<Element> enter();
  // A whole element; kMalformed when it runs past the end of the region.
  Result<Element> next();

 private:
  ByteView data_;
  std::size_t pos_;
  std::size_t end_;
  std::string where_;
};

// kMalformed "offset N: <message>".
template <typename... Args>
Error malformed_at(std::size_t offset, fmt::format_string<Args...> format, Args&&... args) {
  return Error{
      ErrorCode::kMalformed,
      fmt::format("offset {}: {}", offset, fmt::format(format, std::forward<Args>(args)...))};
}

// Values of a given size; kMalformed naming the element and its offset otherwise.
Result<std::uint8_t> u8_value(const Element& e, std::string_view name);
Result<std::uint16_t> u16_value(const Element& e, std::string_view name);
Result<std::uint32_t> u32_value(const Element& e, std::string_view name);
// Text up to the first NUL (writers terminate it; a value without one is taken whole).
std::string text_value(const Element& e);

}  // namespace capf::trustlist
