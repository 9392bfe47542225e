// Framing and the flat TLV codec (docs/protocol.md §2). Nested values are in nested_values.cc, the
// typed messages in typed_messages.cc.
#include "capf/protocol/message.h"

#include <array>
#include <string>

namespace capf::protocol {
namespace {

// The names docs/protocol.md gives, indexed by value (command 1 is AUTH_REQUEST, tag 1 REASON);
// empty where none is defined (0, and tags 14 and 15).
constexpr std::array<std::string_view, 24> kCommandNames = {
    "",
    "AUTH_REQUEST",
    "AUTH_RESPONSE",
    "KEY_GENERATE_REQUEST",
    "KEY_GENERATE_RESPONSE",
    "ENCRYPT_RESPONSE",
    "ENCRYPT_REQUEST",
    "DECRYPT_REQUEST",
    "DECRYPT_RESPONSE",
    "STORE_CERTIFICATE_REQUEST",
    "STORE_CERTIFICATE_RESPONSE",
    "FETCH_CERTIFICATE_REQUEST",
    "FETCH_CERTIFICATE_RESPONSE",
    "DELETE_CERTIFICATE_REQUEST",
    "DELETE_CERTIFICATE_RESPONSE",
    "END_SESSION",
    "RETRY_LATER",
    "REQUEST_IN_PROGRESS",
    "STATUS_REQUEST",
    "STATUS_RESPONSE",
    "ABORT_REQUEST",
    "ABORT_RESPONSE",
    "SIGN_CERTIFICATE_REQUEST",
    "SIGN_CERTIFICATE_RESPONSE",
};

constexpr std::array<std::string_view, 21> kTagNames = {
    "",
    "REASON",
    "REASON_INFO",
    "CERTIFICATE_TYPE",
    "CERTIFICATE",
    "CERTIFICATE_ID",
    "SIGNED_DATA",
    "VERSION",
    "AUTH_TYPE",
    "PUBLIC_KEY",
    "KEY_SIZE",
    "PASSWORD",
    "RETRY_DELAY",
    "DEVICE_NAME",
    "",
    "",
    "SUDI_DATA",
    "KEY_TYPE",
    "CURVE",
    "DIGEST_TYPE",
    "SHA2_SIGNED_DATA",
};

// Names for all 256 values, built once, so unknown values can still be returned as string_view.
using NameTable = std::array<std::string, 256>;

template <std::size_t N>
NameTable build_names(const std::array<std::string_view, N>& known, std::string_view prefix) {
  NameTable names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string_view name = i < N ? known[i] : std::string_view();
    names[i] = name.empty() ? fmt::format("{} {}", prefix, i) : std::string(name);
  }
  return names;
}

}  // namespace

std::string_view command_name(std::uint8_t command) {
  static const NameTable names = build_names(kCommandNames, "command");
  return names[command];
}

std::string_view tag_name(std::uint8_t tag) {
  static const NameTable names = build_names(kTagNames, "tag");
  return names[tag];
}

Result<Header> parse_header(ByteView bytes) {
  if (bytes.size() != kHeaderSize) {
    return make_error(ErrorCode::kMalformed, "header has {} bytes, expected {}", bytes.size(),
                      kHeaderSize);
  }
  if (bytes[0] != kProtocolId) {
    return make_error(ErrorCode::kMalformed, "protocol id 0x{:02x}, expected 0x{:02x}", bytes[0],
                      kProtocolId);
  }
  Header header;
  header.command = bytes[1];
  header.session_id = get_u32be(bytes.data() + 2);
  header.payload_length = get_u16be(bytes.data() + 6);
  return header;
}

const Element* Message::find(Tag tag) const {
  for (const Element& element : elements) {
    if (element.tag == static_cast<std::uint8_t>(tag)) {
      return &element;
    }
  }
  return nullptr;
}

Result<std::vector<Element>> parse_elements(ByteView payload) {
  std::vector<Element> elements;
  std::size_t offset = 0;
  while (offset < payload.size()) {
    std::size_t left = payload.size() - offset;
    if (left < 3) {
      return make_error(ErrorCode::kMalformed,
                        "element header at offset {} truncated: {} of 3 bytes present", offset,
                        left);
    }
    std::uint8_t tag = payload[offset];
    std::size_t length = get_u16be(payload.data() + offset + 1);
    if (length > left - 3) {
      return make_error(ErrorCode::kMalformed,
                        "element {} at offset {} declares {} bytes but {} remain", tag_name(tag),
                        offset, length, left - 3);
    }
    ByteView value = payload.subspan(offset + 3, length);
    elements.push_back(Element{tag, Bytes(value.begin(), value.end())});
    offset += 3 + length;
  }
  return elements;
}

Result<Message> decode(ByteView frame) {
  if (frame.size() < kHeaderSize) {
    return make_error(ErrorCode::kMalformed, "frame has {} bytes, shorter than the {}-byte header",
                      frame.size(), kHeaderSize);
  }
  CAPF_ASSIGN_OR_RETURN(Header header, parse_header(frame.first(kHeaderSize)));
  ByteView payload = frame.subspan(kHeaderSize);
  if (payload.size() != header.payload_length) {
    return make_error(ErrorCode::kMalformed, "payload length {} but {} bytes follow the header",
                      header.payload_length, payload.size());
  }
  auto elements = parse_elements(payload);
  if (!elements) {
    return elements.error().with_context(command_name(header.command));
  }
  return Message{header.command, header.session_id, std::move(elements).value()};
}

Result<Bytes> encode(const Message& message) {
  std::size_t payload_size = 0;
  for (const Element& element : message.elements) {
    if (element.value.size() > 0xffff) {
      return make_error(ErrorCode::kInvalidArgument,
                        "element {} value has {} bytes, more than 65535", tag_name(element.tag),
                        element.value.size());
    }
    payload_size += 3 + element.value.size();
  }
  if (payload_size > kMaxPayload) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} payload of {} bytes exceeds the {}-byte maximum",
                      command_name(message.command), payload_size, kMaxPayload);
  }
  Bytes out;
  out.reserve(kHeaderSize + payload_size);
  put_u8(out, kProtocolId);
  put_u8(out, message.command);
  put_u32be(out, message.session_id);
  put_u16be(out, static_cast<std::uint16_t>(payload_size));
  for (const Element& element : message.elements) {
    put_u8(out, element.tag);
    put_u16be(out, static_cast<std::uint16_t>(element.value.size()));
    append(out, element.value);
  }
  return out;
}

}  // namespace capf::protocol
