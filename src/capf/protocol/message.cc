// Framing and the flat TLV codec (docs/protocol.md §2). Nested values are in nested_values.cc, the
// typed messages in typed_messages.cc.
#include "capf/protocol/message.h"

#include <array>
#include <string>

namespace capf::protocol {
namespace {

std::string_view known_command_name(std::uint8_t command) {
  switch (command) {
    case 1:
      return "AUTH_REQUEST";
    case 2:
      return "AUTH_RESPONSE";
    case 3:
      return "KEY_GENERATE_REQUEST";
    case 4:
      return "KEY_GENERATE_RESPONSE";
    case 5:
      return "ENCRYPT_RESPONSE";
    case 6:
      return "ENCRYPT_REQUEST";
    case 7:
      return "DECRYPT_REQUEST";
    case 8:
      return "DECRYPT_RESPONSE";
    case 9:
      return "STORE_CERTIFICATE_REQUEST";
    case 10:
      return "STORE_CERTIFICATE_RESPONSE";
    case 11:
      return "FETCH_CERTIFICATE_REQUEST";
    case 12:
      return "FETCH_CERTIFICATE_RESPONSE";
    case 13:
      return "DELETE_CERTIFICATE_REQUEST";
    case 14:
      return "DELETE_CERTIFICATE_RESPONSE";
    case 15:
      return "END_SESSION";
    case 16:
      return "RETRY_LATER";
    case 17:
      return "REQUEST_IN_PROGRESS";
    case 18:
      return "STATUS_REQUEST";
    case 19:
      return "STATUS_RESPONSE";
    case 20:
      return "ABORT_REQUEST";
    case 21:
      return "ABORT_RESPONSE";
    case 22:
      return "SIGN_CERTIFICATE_REQUEST";
    case 23:
      return "SIGN_CERTIFICATE_RESPONSE";
    default:
      return {};
  }
}

std::string_view known_tag_name(std::uint8_t tag) {
  switch (tag) {
    case 1:
      return "REASON";
    case 2:
      return "REASON_INFO";
    case 3:
      return "CERTIFICATE_TYPE";
    case 4:
      return "CERTIFICATE";
    case 5:
      return "CERTIFICATE_ID";
    case 6:
      return "SIGNED_DATA";
    case 7:
      return "VERSION";
    case 8:
      return "AUTH_TYPE";
    case 9:
      return "PUBLIC_KEY";
    case 10:
      return "KEY_SIZE";
    case 11:
      return "PASSWORD";
    case 12:
      return "RETRY_DELAY";
    case 13:
      return "DEVICE_NAME";
    case 16:
      return "SUDI_DATA";
    case 17:
      return "KEY_TYPE";
    case 18:
      return "CURVE";
    case 19:
      return "DIGEST_TYPE";
    case 20:
      return "SHA2_SIGNED_DATA";
    default:
      return {};
  }
}

// Names for all 256 values, built once, so unknown values can still be returned as string_view.
using NameTable = std::array<std::string, 256>;

NameTable build_names(std::string_view (*known)(std::uint8_t), std::string_view prefix) {
  NameTable names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto value = static_cast<std::uint8_t>(i);
    std::string_view name = known(value);
    names[i] = name.empty() ? fmt::format("{} {}", prefix, i) : std::string(name);
  }
  return names;
}

}  // namespace

std::string_view command_name(std::uint8_t command) {
  static const NameTable names = build_names(known_command_name, "command");
  return names[command];
}

std::string_view tag_name(std::uint8_t tag) {
  static const NameTable names = build_names(known_tag_name, "tag");
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
