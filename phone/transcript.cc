#include "phone/transcript.h"

#include <fmt/format.h>

#include "capf/common/enum_names.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::phone {
namespace {

using protocol::Tag;

std::string printable_text(ByteView value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<char>(value[i]);
    if (c == '\0' && i + 1 == value.size()) {
      break;
    }
    out += (c > ' ' && c <= '~') ? c : '?';
  }
  return out;
}

constexpr EnumName<std::uint8_t> kHashNames[] = {
    {protocol::hash_id::kSha1, "sha1"},
    {protocol::hash_id::kSha256, "sha256"},
    {protocol::hash_id::kSha512, "sha512"},
};

std::string hash_name(std::uint8_t id) {
  const std::string_view name = name_in(kHashNames, id, "");
  return name.empty() ? fmt::format("hash{}", id) : std::string(name);
}

constexpr EnumName<std::uint8_t> kCertTypeNames[] = {
    {protocol::cert_type::kLsc, "lsc"},
    {protocol::cert_type::kMic, "mic"},
    {protocol::cert_type::kRequestInfo, "request_info"},
};

std::string cert_type_name(std::uint8_t type) {
  const std::string_view name = name_in(kCertTypeNames, type, "");
  return name.empty() ? fmt::format("type{}", type) : std::string(name);
}

std::string describe_certificate_der(ByteView der) {
  auto cert = pki::Certificate::from_der(der);
  if (!cert) {
    return fmt::format("{} bytes, not a certificate", der.size());
  }
  return fmt::format("{} serial {}", cert->subject(), cert->serial_hex());
}

std::string describe_certificate_value(ByteView value) {
  auto items = protocol::parse_certificate_value(value);
  if (!items) {
    return fmt::format("<{} bytes, malformed>", value.size());
  }
  std::string out = "[";
  for (const auto& item : *items) {
    if (out.size() > 1) {
      out += "; ";
    }
    out += cert_type_name(item.type) + " ";
    out += item.type == protocol::cert_type::kRequestInfo ? fmt::format("{} bytes", item.der.size())
                                                          : describe_certificate_der(item.der);
  }
  return out + "]";
}

std::string describe_hashed(ByteView value) {
  auto sig = protocol::parse_hashed_signature(value);
  if (!sig) {
    return fmt::format("<{} bytes, malformed>", value.size());
  }
  return fmt::format("{}/{}B", hash_name(sig->hash_id), sig->signature.size());
}

std::string describe_element(const protocol::Element& e) {
  const ByteView v = e.value;
  const bool one_byte = v.size() == 1;
  switch (static_cast<Tag>(e.tag)) {
    case Tag::kReason:
      return one_byte ? fmt::format("reason={}", v[0]) : "reason=<malformed>";
    case Tag::kCertificateType:
      return one_byte ? "certificate_type=" + cert_type_name(v[0]) : "certificate_type=<malformed>";
    case Tag::kCertificate:
      return "certificate=" + describe_certificate_value(v);
    case Tag::kSignedData:
      return fmt::format("signed_data={}B", v.size());
    case Tag::kVersion:
      return one_byte ? fmt::format("version={}", v[0]) : "version=<malformed>";
    case Tag::kAuthType:
      return one_byte ? fmt::format("auth_type={}", v[0]) : "auth_type=<malformed>";
    case Tag::kPublicKey: {
      auto key = pki::PublicKey::from_spki_der(v);
      return key ? fmt::format("public_key={}", to_string(key->spec()))
                 : fmt::format("public_key=<{} bytes, unparsable>", v.size());
    }
    case Tag::kKeySize:
      return v.size() == 2 ? fmt::format("key_size={}", get_u16be(v.data()))
                           : "key_size=<malformed>";
    case Tag::kPassword: {
      const std::size_t length = v.empty() ? 0 : v.size() - (v.back() == 0 ? 1 : 0);
      return length == 0 ? "password=<empty>" : fmt::format("password=<{} chars>", length);
    }
    case Tag::kDeviceName:
      return "device=" + printable_text(v);
    case Tag::kSudiData: {
      auto sudi = protocol::parse_sudi_data(v);
      if (!sudi) {
        return fmt::format("sudi=<{} bytes, malformed>", v.size());
      }
      return fmt::format("sudi=[{}; {}/{}B; {}/{}B]", describe_certificate_der(sudi->certificate),
                         hash_name(sudi->sha1.hash_id), sudi->sha1.signature.size(),
                         hash_name(sudi->sha512.hash_id), sudi->sha512.signature.size());
    }
    case Tag::kKeyType:
      if (!one_byte) {
        return "key_type=<malformed>";
      }
      return v[0] == protocol::kKeyTypeRsa  ? std::string("key_type=rsa")
             : v[0] == protocol::kKeyTypeEc ? std::string("key_type=ec")
                                            : fmt::format("key_type={}", v[0]);
    case Tag::kCurve:
      if (!one_byte) {
        return "curve=<malformed>";
      }
      return v[0] == protocol::kCurveP256   ? std::string("curve=P-256")
             : v[0] == protocol::kCurveP384 ? std::string("curve=P-384")
             : v[0] == protocol::kCurveP521 ? std::string("curve=P-521")
                                            : fmt::format("curve={}", v[0]);
    case Tag::kDigestType:
      return one_byte ? "digest_type=" + hash_name(v[0]) : "digest_type=<malformed>";
    case Tag::kSha2SignedData:
      return "sha2_signed_data=" + describe_hashed(v);
    case Tag::kReasonInfo:
    case Tag::kCertificateId:
    case Tag::kRetryDelay:
      break;
  }
  return fmt::format("{}=<{}B>", protocol::tag_name(e.tag), v.size());
}

}  // namespace

std::string describe_message(const protocol::Message& message) {
  std::string line(protocol::command_name(message.command));
  for (const auto& element : message.elements) {
    line += ' ';
    line += describe_element(element);
  }
  return line;
}

}  // namespace capf::phone
