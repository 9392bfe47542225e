#include "capf/trustlist/signed_header.h"

#include <limits>

#include "capf/common/enum_names.h"
#include "capf/trustlist/tlv.h"

namespace capf::trustlist {

namespace {

namespace tag = header_tag;

// SIGNATURE_MODULUS codes and the signature sizes they announce.
constexpr std::size_t kModulusBytes[] = {64, 128, 256, 512};

Result<std::uint8_t> modulus_code(std::size_t signature_bytes) {
  for (std::uint8_t code = 0; code < std::size(kModulusBytes); ++code) {
    if (kModulusBytes[code] == signature_bytes)
      return code;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "a {}-bit signer cannot sign a trust list: use rsa 512, 1024, 2048 or 4096",
                    signature_bytes * 8);
}

// The header up to and including SIGNATURE_MODULUS (what comes before the SIGNATURE element).
Result<Bytes> header_start(const pki::Certificate& signer, const SigningOptions& options,
                           std::uint8_t modulus) {
  Bytes h;
  put_u16_element(h, tag::kVersion, 0x0102);
  put_u16_element(h, tag::kHeaderLength, 0);  // filled in once the length is known
  put_u16_element(h, tag::kSignerVersion, options.signer_version);
  Bytes info;
  CAPF_TRY(put_text(info, tag::kSignerName, signer.subject(), "the signer's subject"));
  CAPF_TRY(put_element(info, tag::kSerialNumber, serial_bytes(signer), "the signer's serial"));
  CAPF_TRY(put_text(info, tag::kIssuerName, signer.issuer(), "the signer's issuer"));
  CAPF_TRY(put_element(h, tag::kSignerInfo, info, "the signer's names"));
  // SIGNATURE_INFO and SIGNATURE_ALGORITHM_INFO announce the elements that follow them.
  put_u8(h, tag::kSignatureInfo);
  put_u16be(h, 15);
  put_u8_element(h, tag::kDigestAlgorithm, static_cast<std::uint8_t>(options.digest));
  put_u8(h, tag::kSignatureAlgorithmInfo);
  put_u16be(h, 8);
  put_u8_element(h, tag::kSignatureAlgorithm, 0);  // RSA
  put_u8_element(h, tag::kSignatureModulus, modulus);
  return h;
}

struct Seen {
  bool digest = false, serial = false, signature = false;
};

Status read_element(const Element& e, SignedHeader& header, Seen& seen) {
  switch (e.tag) {
    case tag::kSignerVersion: {
      CAPF_ASSIGN_OR_RETURN(std::uint16_t version, u16_value(e, "SIGNER_VERSION"));
      header.signer_version = version;
      return ok();
    }
    case tag::kSignerName:
      header.signer_name = text_value(e);
      return ok();
    case tag::kSerialNumber:
      header.serial.assign(e.value.begin(), e.value.end());
      seen.serial = true;
      return ok();
    case tag::kIssuerName:
      header.issuer_name = text_value(e);
      return ok();
    case tag::kDigestAlgorithm: {
      CAPF_ASSIGN_OR_RETURN(header.digest_algorithm, u8_value(e, "DIGEST_ALGORITHM"));
      seen.digest = true;
      return ok();
    }
    case tag::kSignatureAlgorithm: {
      CAPF_ASSIGN_OR_RETURN(header.signature_algorithm, u8_value(e, "SIGNATURE_ALGORITHM"));
      return ok();
    }
    case tag::kSignatureModulus: {
      CAPF_ASSIGN_OR_RETURN(header.signature_modulus, u8_value(e, "SIGNATURE_MODULUS"));
      return ok();
    }
    case tag::kSignature:
      if (seen.signature)
        return malformed_at(e.offset, "a second SIGNATURE element");
      header.signature.assign(e.value.begin(), e.value.end());
      header.signature_offset = e.offset;
      seen.signature = true;
      return ok();
    case tag::kFilename:
      header.filename = text_value(e);
      return ok();
    case tag::kTimestamp: {
      CAPF_ASSIGN_OR_RETURN(std::uint32_t timestamp, u32_value(e, "TIMESTAMP"));
      header.timestamp = timestamp;
      return ok();
    }
    default:
      return malformed_at(e.offset, "unknown header tag {}", e.tag);
  }
}

}  // namespace

Status check_signing_options(const SigningOptions& options) {
  if (options.signer_version != kSignerVersion10 && options.signer_version != kSignerVersion11) {
    return make_error(ErrorCode::kInvalidArgument, "signer version {} is not 1.0 or 1.1",
                      signer_version_text(options.signer_version));
  }
  if (options.signer_version == kSignerVersion10 && options.digest != pki::Hash::kSha1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "signer version 1.0 phones know only sha1: use --digest sha1 or "
                      "--signer-version 1.1");
  }
  if (options.filename.empty())
    return make_error(ErrorCode::kInvalidArgument, "the file name in the header is empty");
  return ok();
}

Result<Bytes> sign_with_header(const pki::Certificate& signer, const pki::PrivateKey& key,
                               const SigningOptions& options, ByteView body) {
  CAPF_TRY(check_signing_options(options));
  if (key.spec().type != KeyType::kRsa) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the signer key is ec: trust-list headers have no ec signature code, use "
                      "an rsa signer");
  }
  if (key.spki_der() != signer.spki_der())
    return make_error(ErrorCode::kInvalidArgument, "the signer key is not the certificate's key");
  const std::size_t signature_size = static_cast<std::size_t>(key.spec().bits + 7) / 8;
  CAPF_ASSIGN_OR_RETURN(std::uint8_t modulus, modulus_code(signature_size));
  CAPF_ASSIGN_OR_RETURN(Bytes h, header_start(signer, options, modulus));
  const std::size_t signature_at = h.size();
  CAPF_TRY(put_text(h, tag::kFilename, options.filename, "the file name"));
  put_u32_element(h, tag::kTimestamp, options.timestamp);
  // Padding and HEADER_LENGTH count the SIGNATURE element, inserted after signing.
  while ((h.size() + 3 + signature_size) % 4 != 0)
    put_u8(h, tag::kPadding);
  const std::size_t header_length = h.size() + 3 + signature_size;
  if (header_length > std::numeric_limits<std::uint16_t>::max())
    return make_error(ErrorCode::kInvalidArgument, "the header is over 65535 bytes");
  h[8] = static_cast<std::uint8_t>(header_length >> 8);  // HEADER_LENGTH's value (offset 8)
  h[9] = static_cast<std::uint8_t>(header_length);
  const std::size_t header_end = h.size();
  append(h, body);
  CAPF_ASSIGN_OR_RETURN(Bytes signature, key.sign(options.digest, h));
  if (signature.size() != signature_size)
    return make_error(ErrorCode::kCrypto, "the signature is {} bytes, expected {}",
                      signature.size(), signature_size);
  Bytes out(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(signature_at));
  CAPF_TRY(put_element(out, tag::kSignature, signature, "the signature"));
  out.insert(out.end(), h.begin() + static_cast<std::ptrdiff_t>(signature_at),
             h.begin() + static_cast<std::ptrdiff_t>(header_end));
  append(out, body);
  return out;
}

Result<SignedHeader> parse_signed_header(ByteView file) {
  SignedHeader header;
  if (file.empty())
    return malformed_at(0, "the file is empty");
  if (file[0] != tag::kVersion) {
    return malformed_at(
        0, "not a trust-list or signed file: it starts with {}, not tag 1 (VERSION)", file[0]);
  }
  ElementReader start(file, 0, file.size(), "the file");
  CAPF_ASSIGN_OR_RETURN(Element version, start.next());
  CAPF_ASSIGN_OR_RETURN(std::uint16_t v, u16_value(version, "VERSION"));
  header.version_major = static_cast<std::uint8_t>(v >> 8);
  header.version_minor = static_cast<std::uint8_t>(v);
  CAPF_ASSIGN_OR_RETURN(Element length, start.next());
  if (length.tag != tag::kHeaderLength)
    return malformed_at(length.offset, "tag {} where HEADER_LENGTH (2) belongs", length.tag);
  CAPF_ASSIGN_OR_RETURN(std::uint16_t header_length, u16_value(length, "HEADER_LENGTH"));
  header.length = header_length;
  if (header.length > file.size()) {
    return malformed_at(length.offset, "HEADER_LENGTH {} runs past the end of the file ({} bytes)",
                        header.length, file.size());
  }
  if (header.length < start.offset()) {
    return malformed_at(length.offset, "HEADER_LENGTH {} is shorter than its own elements",
                        header.length);
  }
  Seen seen;
  ElementReader r(file, start.offset(), header.length, "the header");
  while (!r.done()) {
    const std::uint8_t t = r.peek();
    if (t == tag::kPadding) {
      r.skip(1);
      continue;
    }
    if (t == tag::kSignerInfo || t == tag::kSignatureInfo || t == tag::kSignatureAlgorithmInfo) {
      CAPF_TRY(r.enter());  // a container: its elements follow
      continue;
    }
    CAPF_ASSIGN_OR_RETURN(Element e, r.next());
    CAPF_TRY(read_element(e, header, seen));
  }
  if (!seen.signature)
    return malformed_at(header.length, "the header has no SIGNATURE element (tag 12)");
  if (!seen.digest)
    return malformed_at(header.length, "the header has no DIGEST_ALGORITHM element (tag 8)");
  if (!seen.serial)
    return malformed_at(header.length, "the header has no SERIAL_NUMBER element (tag 5)");
  return header;
}

Status verify_signed_header(const SignedHeader& header, ByteView file,
                            const pki::Certificate& signer) {
  if (header.signature_algorithm != 0) {
    return make_error(ErrorCode::kInvalidArgument, "signature algorithm {} is not RSA (0)",
                      header.signature_algorithm);
  }
  auto hash = pki::hash_from_id(header.digest_algorithm);
  if (!hash) {
    return make_error(ErrorCode::kInvalidArgument, "digest algorithm {} is not defined",
                      header.digest_algorithm);
  }
  Bytes signed_bytes(file.begin(),
                     file.begin() + static_cast<std::ptrdiff_t>(header.signature_offset));
  const std::size_t after = header.signature_offset + 3 + header.signature.size();
  signed_bytes.insert(signed_bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(after),
                      file.end());
  if (!signer.public_key().verify(*hash, signed_bytes, header.signature)) {
    return make_error(ErrorCode::kCrypto,
                      "the signature does not verify with {} (serial {}): the file was changed "
                      "or signed by another key",
                      signer.subject(), signer.serial_hex());
  }
  return ok();
}

Bytes serial_bytes(const pki::Certificate& cert) {
  Bytes serial = from_hex(cert.serial_hex()).value_or(Bytes{});
  std::size_t zeros = 0;
  while (zeros + 1 < serial.size() && serial[zeros] == 0)
    ++zeros;
  serial.erase(serial.begin(), serial.begin() + static_cast<std::ptrdiff_t>(zeros));
  return serial;
}

std::string signer_version_text(std::uint16_t version) {
  return fmt::format("{}.{}", version >> 8, version & 0xff);
}

constexpr EnumName<std::uint8_t> kDigestNames[] = {
    {1, "SHA-1"},
    {2, "SHA-256"},
    {3, "SHA-512"},
};

std::string digest_name(std::uint8_t digest_algorithm) {
  const std::string_view name = name_in(kDigestNames, digest_algorithm, "");
  return name.empty() ? fmt::format("digest {}", digest_algorithm) : std::string(name);
}

}  // namespace capf::trustlist
