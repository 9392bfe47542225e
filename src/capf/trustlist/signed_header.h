// The signed header shared by ITL/CTL files and .sgn files (docs/trust-lists.md §2 and §4):
// writing a header over a body and signing both with the signer's RSA key, and reading one back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::trustlist {

// SIGNER_VERSION values.
inline constexpr std::uint16_t kSignerVersion10 = 0x0100;  // SHA-1 only phones
inline constexpr std::uint16_t kSignerVersion11 = 0x0101;

struct SigningOptions {
  pki::Hash digest = pki::Hash::kSha512;
  std::uint16_t signer_version = kSignerVersion11;
  std::string filename;         // FILENAME, e.g. "ITLFile.tlv"
  std::uint32_t timestamp = 0;  // seconds since 1970 UTC
};

// kInvalidArgument when the options cannot go together: signer version 1.0 with a digest other
// than SHA-1, a version other than 1.0 or 1.1, an empty file name.
Status check_signing_options(const SigningOptions& options);

// header + body, the header naming `signer` and carrying the PKCS#1 v1.5 signature by `key` over
// every byte of the result except the SIGNATURE element. kInvalidArgument when the signer is not
// RSA 512/1024/2048/4096 or the key is not the certificate's.
Result<Bytes> sign_with_header(const pki::Certificate& signer, const pki::PrivateKey& key,
                               const SigningOptions& options, ByteView body);

struct SignedHeader {
  std::uint8_t version_major = 0, version_minor = 0;
  std::size_t length = 0;                       // HEADER_LENGTH: where the body starts
  std::optional<std::uint16_t> signer_version;  // absent in some writers' .sgn files
  std::string signer_name;
  Bytes serial;
  std::string issuer_name;
  std::uint8_t digest_algorithm = 0;
  std::uint8_t signature_algorithm = 0;
  std::uint8_t signature_modulus = 0;
  Bytes signature;
  std::size_t signature_offset = 0;  // of the SIGNATURE element's tag byte
  std::string filename;
  std::optional<std::uint32_t> timestamp;
};

// Reads the header at the start of `file`. kMalformed "offset N: ..." for an unknown tag, an
// element whose length runs past the end of the header, a header longer than the file, a value
// of the wrong size, or a missing SIGNATURE, DIGEST_ALGORITHM or SERIAL_NUMBER. Never reads
// outside `file`.
Result<SignedHeader> parse_signed_header(ByteView file);

// Checks the header's signature over `file` (the header parse_signed_header read from it) with
// `signer`'s key. kCrypto "the signature does not verify ..." when it does not; kInvalidArgument
// for a digest or signature algorithm the format does not define.
Status verify_signed_header(const SignedHeader& header, ByteView file,
                            const pki::Certificate& signer);

// The signer's serial as the header and the records carry it: minimal big-endian bytes.
Bytes serial_bytes(const pki::Certificate& cert);
// "1.0", "1.1", or the two bytes as "major.minor".
std::string signer_version_text(std::uint16_t version);
// "SHA-1", "SHA-256", "SHA-512", or "digest N".
std::string digest_name(std::uint8_t digest_algorithm);

}  // namespace capf::trustlist
