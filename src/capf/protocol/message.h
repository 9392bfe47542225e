// CAPF wire format (docs/protocol.md §2–§4): the 8-byte header, the flat TLV payload, the
// nested CERTIFICATE / SHA2_SIGNED_DATA / SUDI_DATA values, and one typed struct per message.
// Pure code: no OpenSSL, no Asio, no exceptions, no logging. Every decoder takes bytes from a peer
// and returns an Error (kMalformed for bad encoding, kProtocol for a well-formed value that breaks
// a rule) instead of trusting them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"

namespace capf::protocol {

inline constexpr std::uint8_t kProtocolId = 0x55;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxPayload = 65535;
inline constexpr std::uint8_t kServerVersion = 3;

enum class Command : std::uint8_t {
  kAuthRequest = 1,
  kAuthResponse = 2,
  kKeyGenerateRequest = 3,
  kKeyGenerateResponse = 4,
  kEncryptResponse = 5,
  kEncryptRequest = 6,
  kDecryptRequest = 7,
  kDecryptResponse = 8,
  kStoreCertificateRequest = 9,
  kStoreCertificateResponse = 10,
  kFetchCertificateRequest = 11,
  kFetchCertificateResponse = 12,
  kDeleteCertificateRequest = 13,
  kDeleteCertificateResponse = 14,
  kEndSession = 15,
  kRetryLater = 16,
  kRequestInProgress = 17,
  kStatusRequest = 18,
  kStatusResponse = 19,
  kAbortRequest = 20,
  kAbortResponse = 21,
  kSignCertificateRequest = 22,
  kSignCertificateResponse = 23,
};

enum class Tag : std::uint8_t {
  kReason = 1,
  kReasonInfo = 2,
  kCertificateType = 3,
  kCertificate = 4,
  kCertificateId = 5,
  kSignedData = 6,
  kVersion = 7,
  kAuthType = 8,
  kPublicKey = 9,
  kKeySize = 10,
  kPassword = 11,
  kRetryDelay = 12,
  kDeviceName = 13,
  kSudiData = 16,
  kKeyType = 17,
  kCurve = 18,
  kDigestType = 19,
  kSha2SignedData = 20,
};

// Reason byte (element 1). Other values may arrive from a client and are kept as numbers.
namespace reason {
inline constexpr std::uint8_t kNoAction = 0;
inline constexpr std::uint8_t kSuccess = 1;  // also "certificate changed" at END_SESSION
inline constexpr std::uint8_t kFailure = 7;
inline constexpr std::uint8_t kUnknownDevice = 9;
}  // namespace reason

// CERTIFICATE_TYPE and the type byte of a certificate item.
namespace cert_type {
inline constexpr std::uint8_t kLsc = 1;
inline constexpr std::uint8_t kMic = 2;
inline constexpr std::uint8_t kRequestInfo = 3;  // opencapf's §6.10 value
}  // namespace cert_type

// Hash ids of SHA2_SIGNED_DATA, SUDI parts and DIGEST_TYPE.
namespace hash_id {
inline constexpr std::uint8_t kSha1 = 1;
inline constexpr std::uint8_t kSha256 = 2;
inline constexpr std::uint8_t kSha512 = 3;
}  // namespace hash_id

// KEY_TYPE and CURVE values.
inline constexpr std::uint8_t kKeyTypeRsa = 0;
inline constexpr std::uint8_t kKeyTypeEc = 1;
inline constexpr std::uint8_t kCurveP256 = 0;
inline constexpr std::uint8_t kCurveP384 = 1;
inline constexpr std::uint8_t kCurveP521 = 2;

std::string_view command_name(std::uint8_t command);  // "AUTH_REQUEST", ..., "command 42"
std::string_view tag_name(std::uint8_t tag);          // "DEVICE_NAME", ..., "tag 99"

struct Header {
  std::uint8_t command = 0;
  std::uint32_t session_id = 0;
  std::uint16_t payload_length = 0;
};

// Parses exactly kHeaderSize bytes. kMalformed if the size is wrong or the protocol id is not 0x55.
Result<Header> parse_header(ByteView bytes);

struct Element {
  std::uint8_t tag = 0;
  Bytes value;
  friend bool operator==(const Element&, const Element&) = default;
};

// A whole message: header fields plus its elements, in wire order.
struct Message {
  std::uint8_t command = 0;
  std::uint32_t session_id = 0;
  std::vector<Element> elements;

  // The first element with this tag (docs/protocol.md §2.2: duplicates keep the first), or nullptr.
  const Element* find(Tag tag) const;
  friend bool operator==(const Message&, const Message&) = default;
};

// Splits a payload into elements; lengths must add up exactly to the payload size.
Result<std::vector<Element>> parse_elements(ByteView payload);
// Decodes one whole frame (header + payload); the header's length must match the bytes given.
Result<Message> decode(ByteView frame);
// Encodes header and payload into one buffer (the one TLS write of docs/protocol.md §2.4).
// kInvalidArgument if an element value exceeds 65535 bytes or the payload exceeds kMaxPayload.
Result<Bytes> encode(const Message& message);

// ---- nested values ----

// One item of a CERTIFICATE element (§4.1): tag 0x01, length, reserved byte, type byte, DER.
struct CertificateItem {
  std::uint8_t type = cert_type::kLsc;
  std::uint8_t reserved = 0;
  Bytes der;
  friend bool operator==(const CertificateItem&, const CertificateItem&) = default;
};
Result<std::vector<CertificateItem>> parse_certificate_value(ByteView value);  // at least one item
Bytes build_certificate_value(const std::vector<CertificateItem>& items);

// SHA2_SIGNED_DATA value (§4, tag 20) and each SUDI part (§6.3.4): id byte, u16 length, bytes.
struct HashedSignature {
  std::uint8_t hash_id = hash_id::kSha512;
  Bytes signature;
  friend bool operator==(const HashedSignature&, const HashedSignature&) = default;
};
Result<HashedSignature> parse_hashed_signature(ByteView value);  // length must cover the rest
Bytes build_hashed_signature(const HashedSignature& sig);

// SUDI_DATA (tag 16): part 1 the certificate, part 2 SHA-1 signature, part 3 SHA-512 signature.
struct SudiData {
  std::uint8_t certificate_id = 0;
  Bytes certificate;
  HashedSignature sha1;    // id as received (normally 1)
  HashedSignature sha512;  // id as received (must be 3 to verify)
  friend bool operator==(const SudiData&, const SudiData&) = default;
};
Result<SudiData> parse_sudi_data(ByteView value);
Bytes build_sudi_data(const SudiData& sudi);
// The bytes a SUDI signature covers: the session id little-endian, then the certificate DER.
Bytes sudi_signed_bytes(std::uint32_t session_id, ByteView certificate_der);
// The bytes SIGNED_DATA and SHA2_SIGNED_DATA cover: device name, one NUL, certificate DER (§6.3.2).
Bytes auth_signed_bytes(std::string_view device_name, ByteView certificate_der);

// ---- typed messages (server → client) ----

struct AuthRequest {
  std::uint8_t version = kServerVersion;
  std::optional<std::uint8_t> auth_type = 0;  // the reference sends 0; CUCM omitted it
};
struct KeyGenerateRequest {
  std::uint8_t key_type = kKeyTypeRsa;    // always sent (§7 item 2)
  std::optional<std::uint16_t> key_size;  // RSA
  std::optional<std::uint8_t> curve;      // EC
};
struct StoreCertificateRequest {
  std::uint8_t certificate_type = cert_type::kLsc;
  Bytes certificate_der;
};
struct FetchCertificateRequest {
  std::optional<std::uint8_t> certificate_type;  // not sent by default (§6.5)
};
struct DeleteCertificateRequest {};
struct EndSession {
  std::uint8_t reason = reason::kFailure;
};
// §6.10: the server asks the phone to sign a CertificationRequestInfo.
struct SignCertificateRequest {
  std::uint8_t digest_type = hash_id::kSha256;
  Bytes request_info_der;
};

// ---- typed messages (client → server) ----

struct AuthResponse {
  std::optional<std::uint8_t> reason;
  std::uint8_t version = 0;
  std::string device_name;                    // without the trailing NUL
  std::optional<std::string> password;        // without the trailing NUL; "" for a lone NUL
  std::vector<CertificateItem> certificates;  // from CERTIFICATE, if present
  std::optional<Bytes> signed_data;           // SIGNED_DATA (SHA-1 proof)
  std::optional<HashedSignature> sha2_signed_data;
  std::optional<SudiData> sudi;
  std::vector<std::uint8_t> unknown_tags;  // tags received and ignored, for the log
};
struct KeyGenerateResponse {
  std::optional<Bytes> public_key;  // DER SubjectPublicKeyInfo
  std::optional<std::uint8_t> reason;
};
struct RequestInProgress {};
struct StoreCertificateResponse {
  std::uint8_t reason = 0;
};
struct FetchCertificateResponse {
  std::uint8_t reason = 0;
  std::vector<CertificateItem> certificates;
};
struct DeleteCertificateResponse {
  std::uint8_t reason = 0;
};
struct SignCertificateResponse {
  std::uint8_t reason = 0;
  std::optional<HashedSignature> signature;
};

// Builders: typed struct → Message (elements in ascending tag order, as the reference writes them).
Message to_message(std::uint32_t session_id, const AuthRequest& m);
Message to_message(std::uint32_t session_id, const KeyGenerateRequest& m);
Message to_message(std::uint32_t session_id, const StoreCertificateRequest& m);
Message to_message(std::uint32_t session_id, const FetchCertificateRequest& m);
Message to_message(std::uint32_t session_id, const DeleteCertificateRequest& m);
Message to_message(std::uint32_t session_id, const EndSession& m);
Message to_message(std::uint32_t session_id, const SignCertificateRequest& m);
Message to_message(std::uint32_t session_id, const AuthResponse& m);
Message to_message(std::uint32_t session_id, const KeyGenerateResponse& m);
Message to_message(std::uint32_t session_id, const RequestInProgress& m);
Message to_message(std::uint32_t session_id, const StoreCertificateResponse& m);
Message to_message(std::uint32_t session_id, const FetchCertificateResponse& m);
Message to_message(std::uint32_t session_id, const DeleteCertificateResponse& m);
Message to_message(std::uint32_t session_id, const SignCertificateResponse& m);

// Parsers: Message → typed struct. They check the command, that required elements are present,
// that fixed-size elements have their size, and that text elements end in NUL; elements may come in
// any order; unknown tags are ignored (listed in AuthResponse::unknown_tags).
Result<AuthRequest> parse_auth_request(const Message& m);
Result<KeyGenerateRequest> parse_key_generate_request(const Message& m);
Result<StoreCertificateRequest> parse_store_certificate_request(const Message& m);
Result<FetchCertificateRequest> parse_fetch_certificate_request(const Message& m);
Result<EndSession> parse_end_session(const Message& m);
Result<SignCertificateRequest> parse_sign_certificate_request(const Message& m);
Result<AuthResponse> parse_auth_response(const Message& m);
Result<KeyGenerateResponse> parse_key_generate_response(const Message& m);
Result<StoreCertificateResponse> parse_store_certificate_response(const Message& m);
Result<FetchCertificateResponse> parse_fetch_certificate_response(const Message& m);
Result<DeleteCertificateResponse> parse_delete_certificate_response(const Message& m);
Result<SignCertificateResponse> parse_sign_certificate_response(const Message& m);

}  // namespace capf::protocol
