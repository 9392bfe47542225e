// The values with an inner structure: CERTIFICATE (§4.1), SHA2_SIGNED_DATA (§4) and SUDI_DATA
// (§6.3.4), plus the byte strings the authentication signatures cover (§6.3.2, §6.3.4).
#include "capf/protocol/message.h"

namespace capf::protocol {
namespace {

constexpr std::uint8_t kCertificateItemTag = 0x01;

// One `id | u16 length | bytes` part starting at `offset`; advances `offset` past it.
Result<HashedSignature> read_part(ByteView value, std::size_t& offset, std::string_view what) {
  std::size_t left = value.size() - offset;
  if (left < 3) {
    return make_error(ErrorCode::kMalformed, "{} header truncated: {} of 3 bytes present", what,
                      left);
  }
  std::uint8_t id = value[offset];
  std::size_t length = get_u16be(value.data() + offset + 1);
  if (length > left - 3) {
    return make_error(ErrorCode::kMalformed, "{} declares {} bytes but {} remain", what, length,
                      left - 3);
  }
  ByteView bytes = value.subspan(offset + 3, length);
  offset += 3 + length;
  return HashedSignature{id, Bytes(bytes.begin(), bytes.end())};
}

void write_part(Bytes& out, std::uint8_t id, ByteView bytes) {
  put_u8(out, id);
  put_u16be(out, static_cast<std::uint16_t>(bytes.size()));
  append(out, bytes);
}

}  // namespace

Result<std::vector<CertificateItem>> parse_certificate_value(ByteView value) {
  std::vector<CertificateItem> items;
  std::size_t offset = 0;
  while (offset < value.size()) {
    std::size_t number = items.size() + 1;
    std::size_t left = value.size() - offset;
    if (left < 3) {
      return make_error(ErrorCode::kMalformed,
                        "certificate item {} header truncated: {} of 3 bytes present", number,
                        left);
    }
    if (value[offset] != kCertificateItemTag) {
      return make_error(ErrorCode::kMalformed,
                        "certificate item {} has tag 0x{:02x}, expected 0x01", number,
                        value[offset]);
    }
    std::size_t length = get_u16be(value.data() + offset + 1);
    if (length < 2) {
      return make_error(ErrorCode::kMalformed,
                        "certificate item {} has length {}, less than its 2 type bytes", number,
                        length);
    }
    if (length > left - 3) {
      return make_error(ErrorCode::kMalformed,
                        "certificate item {} declares {} bytes but {} remain", number, length,
                        left - 3);
    }
    if (length == 2) {
      return make_error(ErrorCode::kMalformed, "certificate item {} holds no certificate", number);
    }
    ByteView der = value.subspan(offset + 5, length - 2);
    items.push_back(
        CertificateItem{value[offset + 4], value[offset + 3], Bytes(der.begin(), der.end())});
    offset += 3 + length;
  }
  if (items.empty()) {
    return make_error(ErrorCode::kMalformed, "CERTIFICATE value holds no certificate item");
  }
  return items;
}

Bytes build_certificate_value(const std::vector<CertificateItem>& items) {
  Bytes out;
  for (const CertificateItem& item : items) {
    put_u8(out, kCertificateItemTag);
    put_u16be(out, static_cast<std::uint16_t>(item.der.size() + 2));
    put_u8(out, item.reserved);
    put_u8(out, item.type);
    append(out, item.der);
  }
  return out;
}

Result<HashedSignature> parse_hashed_signature(ByteView value) {
  std::size_t offset = 0;
  CAPF_ASSIGN_OR_RETURN(HashedSignature sig, read_part(value, offset, "signature"));
  if (offset != value.size()) {
    return make_error(ErrorCode::kMalformed, "signature length {} but {} bytes follow its header",
                      sig.signature.size(), value.size() - 3);
  }
  return sig;
}

Bytes build_hashed_signature(const HashedSignature& sig) {
  Bytes out;
  write_part(out, sig.hash_id, sig.signature);
  return out;
}

Result<SudiData> parse_sudi_data(ByteView value) {
  std::size_t offset = 0;
  CAPF_ASSIGN_OR_RETURN(HashedSignature certificate,
                        read_part(value, offset, "SUDI_DATA certificate part"));
  CAPF_ASSIGN_OR_RETURN(HashedSignature sha1, read_part(value, offset, "SUDI_DATA SHA-1 part"));
  CAPF_ASSIGN_OR_RETURN(HashedSignature sha512, read_part(value, offset, "SUDI_DATA SHA-512 part"));
  if (offset != value.size()) {
    return make_error(ErrorCode::kMalformed, "SUDI_DATA has {} bytes after its three parts",
                      value.size() - offset);
  }
  return SudiData{certificate.hash_id, std::move(certificate.signature), std::move(sha1),
                  std::move(sha512)};
}

Bytes build_sudi_data(const SudiData& sudi) {
  Bytes out;
  write_part(out, sudi.certificate_id, sudi.certificate);
  write_part(out, sudi.sha1.hash_id, sudi.sha1.signature);
  write_part(out, sudi.sha512.hash_id, sudi.sha512.signature);
  return out;
}

Bytes sudi_signed_bytes(std::uint32_t session_id, ByteView certificate_der) {
  Bytes out;
  out.reserve(4 + certificate_der.size());
  put_u32le(out, session_id);
  append(out, certificate_der);
  return out;
}

Bytes auth_signed_bytes(std::string_view device_name, ByteView certificate_der) {
  Bytes out;
  out.reserve(device_name.size() + 1 + certificate_der.size());
  append(out, as_bytes(device_name));
  put_u8(out, 0);
  append(out, certificate_der);
  return out;
}

}  // namespace capf::protocol
