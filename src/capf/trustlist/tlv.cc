#include "capf/trustlist/tlv.h"

#include <limits>

namespace capf::trustlist {

Status put_element(Bytes& out, std::uint8_t tag, ByteView value, std::string_view what) {
  if (value.size() > std::numeric_limits<std::uint16_t>::max()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} is {} bytes: a trust-list element holds at most 65535", what,
                      value.size());
  }
  put_u8(out, tag);
  put_u16be(out, static_cast<std::uint16_t>(value.size()));
  append(out, value);
  return ok();
}

Status put_text(Bytes& out, std::uint8_t tag, std::string_view text, std::string_view what) {
  Bytes value(text.begin(), text.end());
  value.push_back(0);
  return put_element(out, tag, value, what);
}

void put_u8_element(Bytes& out, std::uint8_t tag, std::uint8_t value) {
  put_u8(out, tag);
  put_u16be(out, 1);
  put_u8(out, value);
}

void put_u16_element(Bytes& out, std::uint8_t tag, std::uint16_t value) {
  put_u8(out, tag);
  put_u16be(out, 2);
  put_u16be(out, value);
}

void put_u32_element(Bytes& out, std::uint8_t tag, std::uint32_t value) {
  put_u8(out, tag);
  put_u16be(out, 4);
  put_u32be(out, value);
}

Result<Element> ElementReader::enter() {
  if (end_ - pos_ < 3) {
    return malformed_at(pos_, "element cut short: {} byte(s) left in {}, a tag and length need 3",
                        end_ - pos_, where_);
  }
  Element e;
  e.offset = pos_;
  e.tag = data_[pos_];
  const std::size_t length = get_u16be(&data_[pos_ + 1]);
  if (length > end_ - pos_ - 3) {
    return malformed_at(pos_, "tag {} length {} runs past the end of {} ({} byte(s) left)", e.tag,
                        length, where_, end_ - pos_ - 3);
  }
  pos_ += 3;
  e.value = data_.subspan(pos_, length);
  return e;
}

Result<Element> ElementReader::next() {
  CAPF_ASSIGN_OR_RETURN(Element e, enter());
  pos_ += e.value.size();
  return e;
}

namespace {

Status check_size(const Element& e, std::size_t size, std::string_view name) {
  if (e.value.size() != size) {
    return malformed_at(e.offset, "{} (tag {}) has length {}, expected {}", name, e.tag,
                        e.value.size(), size);
  }
  return ok();
}

}  // namespace

Result<std::uint8_t> u8_value(const Element& e, std::string_view name) {
  CAPF_TRY(check_size(e, 1, name));
  return e.value[0];
}

Result<std::uint16_t> u16_value(const Element& e, std::string_view name) {
  CAPF_TRY(check_size(e, 2, name));
  return get_u16be(e.value.data());
}

Result<std::uint32_t> u32_value(const Element& e, std::string_view name) {
  CAPF_TRY(check_size(e, 4, name));
  return get_u32be(e.value.data());
}

std::string text_value(const Element& e) {
  std::string text = to_string(e.value);
  if (auto nul = text.find('\0'); nul != std::string::npos)
    text.resize(nul);
  return text;
}

}  // namespace capf::trustlist
