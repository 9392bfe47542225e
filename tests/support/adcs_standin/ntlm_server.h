// The server side of NTLM over HTTP (MS-NLMP), as IIS runs it for certsrv: one handshake per TCP
// connection. The client's NEGOTIATE (type 1) gets a CHALLENGE (type 2) with a random 8-byte
// server challenge and target info (NetBIOS domain and computer names, DNS names, a timestamp);
// the AUTHENTICATE (type 3) must carry an NTLMv2 response of the configured account:
//
//   NTOWFv2    = HMAC_MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) + domain))
//   NTProofStr = HMAC_MD5(NTOWFv2, server challenge || blob)
//
// where user and domain are the ones the client sent in the type 3 and blob is the rest of its
// NtChallengeResponse after the 16-byte NTProofStr. NTLMv1 and LM responses are refused (what a
// Windows server with LmCompatibilityLevel 5 does). Test support only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"

namespace capf::testing {

struct NtlmAccount {
  std::string domain = "EXAMPLE";  // NetBIOS domain; the type 3 may name it (any case) or not
  std::string username = "svc-capf";
  std::string password;
  std::string computer_name = "CA01";             // NetBIOS computer name
  std::string dns_domain = "example.net";         // MsvAvDnsDomainName
  std::string dns_computer = "ca01.example.net";  // MsvAvDnsComputerName
};

// Negotiate flags of MS-NLMP §2.2.2.5 that this server reads or sets.
namespace ntlm_flag {
inline constexpr std::uint32_t kUnicode = 0x00000001;
inline constexpr std::uint32_t kOem = 0x00000002;
inline constexpr std::uint32_t kRequestTarget = 0x00000004;
inline constexpr std::uint32_t kNtlm = 0x00000200;
inline constexpr std::uint32_t kAlwaysSign = 0x00008000;
inline constexpr std::uint32_t kTargetTypeDomain = 0x00010000;
inline constexpr std::uint32_t kExtendedSessionSecurity = 0x00080000;
inline constexpr std::uint32_t kTargetInfo = 0x00800000;
inline constexpr std::uint32_t kVersion = 0x02000000;
inline constexpr std::uint32_t k128 = 0x20000000;
inline constexpr std::uint32_t k56 = 0x80000000;
}  // namespace ntlm_flag

// MD4(UTF-16LE(password)): the NT hash (NTOWFv1).
Bytes nt_hash(std::string_view password);
// NTOWFv2 of MS-NLMP §3.3.2 (user upper-cased, ASCII letters only; domain as given).
Bytes ntowf_v2(std::string_view password, std::string_view user, std::string_view domain);
// HMAC_MD5(ntowf_v2, server_challenge || blob): the NTProofStr the client must send.
Bytes ntlmv2_proof(ByteView ntowf_v2, ByteView server_challenge, ByteView blob);
// UTF-8 → UTF-16LE (unpaired surrogates and broken sequences become U+FFFD).
Bytes utf16le(std::string_view utf8);

// One connection's handshake. Not thread-safe (a connection is served by one coroutine).
class NtlmHandshake {
 public:
  explicit NtlmHandshake(const NtlmAccount& account) : account_(account) {}

  enum class Step {
    kChallenge,      // send `token` (base64 type 2) in "WWW-Authenticate: NTLM <token>"
    kAuthenticated,  // the connection now belongs to `user`
    kRejected,       // answer 401 again; `reason` says why (for the stand-in's log)
  };
  struct Answer {
    Step step = Step::kRejected;
    std::string token;
    std::string user;  // "DOMAIN\user" as the client wrote it
    std::string reason;
  };

  // Takes the base64 token of an "Authorization: NTLM <token>" header.
  Answer accept(std::string_view base64_token);
  bool authenticated() const { return user_.has_value(); }
  const std::string& user() const { return *user_; }
  // The server challenge of the last type 2 (for tests).
  const std::array<std::uint8_t, 8>& server_challenge() const { return challenge_; }

 private:
  Answer on_negotiate(ByteView message);
  Answer on_authenticate(ByteView message);

  const NtlmAccount& account_;
  bool challenged_ = false;
  std::uint32_t flags_ = 0;  // the flags of the type 2 this connection received
  std::array<std::uint8_t, 8> challenge_{};
  std::optional<std::string> user_;
};

// Base64 of bytes and back (whitespace ignored; nullopt when the text is not base64).
std::string base64_encode(ByteView bytes);
std::optional<Bytes> base64_decode(std::string_view text);

}  // namespace capf::testing
