#include "ntlm_server.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md4.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "capf/common/utf8.h"

namespace capf::testing {

namespace {

constexpr std::uint8_t kSignature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
constexpr std::size_t kChallengeHeader = 56;  // with the Version field

enum AvId : std::uint16_t {
  kMsvAvEol = 0,
  kMsvAvNbComputerName = 1,
  kMsvAvNbDomainName = 2,
  kMsvAvDnsComputerName = 3,
  kMsvAvDnsDomainName = 4,
  kMsvAvTimestamp = 7,
};

void put_u16le(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_u64le(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint16_t get_u16le(ByteView b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t get_u32le(ByteView b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

void put_av(Bytes& out, AvId id, ByteView value) {
  put_u16le(out, id);
  put_u16le(out, static_cast<std::uint16_t>(value.size()));
  append(out, value);
}

// Now as a Windows FILETIME: 100 ns units since 1601-01-01.
std::uint64_t filetime_now() {
  using namespace std::chrono;
  constexpr std::uint64_t kEpochDelta = 11644473600ULL;  // seconds from 1601 to 1970
  auto since = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  return (kEpochDelta * 1000000000ULL + static_cast<std::uint64_t>(since)) / 100;
}

bool equal_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string from_utf16le(ByteView b) {
  std::string out;
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
    std::uint32_t cp = get_u16le(b, i);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < b.size()) {
      std::uint32_t low = get_u16le(b, i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    append_utf8(out, cp);
  }
  return out;
}

// A security buffer (Len, MaxLen, Offset) of a message, or nullopt when it points outside it.
std::optional<ByteView> field(ByteView message, std::size_t at) {
  if (at + 8 > message.size())
    return std::nullopt;
  std::size_t len = get_u16le(message, at);
  std::size_t offset = get_u32le(message, at + 4);
  if (offset > message.size() || len > message.size() - offset)
    return std::nullopt;
  return message.subspan(offset, len);
}

NtlmHandshake::Answer reject(std::string reason) {
  NtlmHandshake::Answer a;
  a.step = NtlmHandshake::Step::kRejected;
  a.reason = std::move(reason);
  return a;
}

}  // namespace

Bytes utf16le(std::string_view utf8) {
  Bytes out;
  for (std::size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = 0xFFFD;
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    if (len == 0 || i + len > utf8.size()) {
      i += 1;
    } else {
      cp = len == 1 ? c : c & (0xFF >> (len + 1));
      for (std::size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
      i += len;
    }
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      cp -= 0x10000;
      put_u16le(out, static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      put_u16le(out, static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      put_u16le(out, static_cast<std::uint16_t>(cp > 0xFFFF ? 0xFFFD : cp));
    }
  }
  return out;
}

Bytes nt_hash(std::string_view password) {
  Bytes unicode = utf16le(password);
  Bytes out(MD4_DIGEST_LENGTH);
  MD4(unicode.data(), unicode.size(), out.data());
  return out;
}

Bytes ntowf_v2(std::string_view password, std::string_view user, std::string_view domain) {
  std::string identity(user);
  std::transform(identity.begin(), identity.end(), identity.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  identity.append(domain);
  Bytes key = nt_hash(password);
  Bytes data = utf16le(identity);
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &len);
  out.resize(len);
  return out;
}

Bytes ntlmv2_proof(ByteView ntowf, ByteView server_challenge, ByteView blob) {
  Bytes data(server_challenge.begin(), server_challenge.end());
  append(data, blob);
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(EVP_md5(), ntowf.data(), static_cast<int>(ntowf.size()), data.data(), data.size(),
       out.data(), &len);
  out.resize(len);
  return out;
}

std::string base64_encode(ByteView bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      clean.push_back(c);
  }
  if (clean.empty() || clean.size() % 4 != 0)
    return std::nullopt;
  Bytes out(clean.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0)
    return std::nullopt;
  std::size_t padding = clean.size() - clean.find_last_not_of('=') - 1;
  if (padding > 2)
    return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

NtlmHandshake::Answer NtlmHandshake::accept(std::string_view base64_token) {
  auto message = base64_decode(base64_token);
  if (!message)
    return reject("the NTLM token is not base64");
  if (message->size() < 12 || !std::equal(kSignature, kSignature + 8, message->begin()))
    return reject("the NTLM token has no NTLMSSP signature");
  switch (get_u32le(*message, 8)) {
    case 1:
      return on_negotiate(*message);
    case 3:
      return on_authenticate(*message);
    default:
      return reject("an NTLM message of an unexpected type");
  }
}

NtlmHandshake::Answer NtlmHandshake::on_negotiate(ByteView message) {
  if (message.size() < 16)
    return reject("a truncated NTLM NEGOTIATE message");
  user_.reset();  // a new handshake on this connection starts from nothing
  const std::uint32_t client = get_u32le(message, 12);
  flags_ = ntlm_flag::kRequestTarget | ntlm_flag::kNtlm | ntlm_flag::kAlwaysSign |
           ntlm_flag::kTargetTypeDomain | ntlm_flag::kTargetInfo | ntlm_flag::kVersion;
  flags_ |= (client & ntlm_flag::kUnicode) != 0 ? ntlm_flag::kUnicode : ntlm_flag::kOem;
  flags_ |= client & (ntlm_flag::kExtendedSessionSecurity | ntlm_flag::k128 | ntlm_flag::k56);
  RAND_bytes(challenge_.data(), static_cast<int>(challenge_.size()));
  challenged_ = true;

  const Bytes target_name = (flags_ & ntlm_flag::kUnicode) != 0
                                ? utf16le(account_.domain)
                                : Bytes(account_.domain.begin(), account_.domain.end());
  Bytes info;
  put_av(info, kMsvAvNbDomainName, utf16le(account_.domain));
  put_av(info, kMsvAvNbComputerName, utf16le(account_.computer_name));
  put_av(info, kMsvAvDnsDomainName, utf16le(account_.dns_domain));
  put_av(info, kMsvAvDnsComputerName, utf16le(account_.dns_computer));
  Bytes stamp;
  put_u64le(stamp, filetime_now());
  put_av(info, kMsvAvTimestamp, stamp);
  put_av(info, kMsvAvEol, {});

  Bytes out(kSignature, kSignature + 8);
  put_u32le(out, 2);
  put_u16le(out, static_cast<std::uint16_t>(target_name.size()));
  put_u16le(out, static_cast<std::uint16_t>(target_name.size()));
  put_u32le(out, kChallengeHeader);
  put_u32le(out, flags_);
  out.insert(out.end(), challenge_.begin(), challenge_.end());
  out.insert(out.end(), 8, 0);  // Reserved
  put_u16le(out, static_cast<std::uint16_t>(info.size()));
  put_u16le(out, static_cast<std::uint16_t>(info.size()));
  put_u32le(out, static_cast<std::uint32_t>(kChallengeHeader + target_name.size()));
  // Version: Windows Server 2019 (10.0.17763), NTLMSSP_REVISION_W2K3.
  const std::uint8_t version[8] = {10, 0, 0x63, 0x45, 0, 0, 0, 0x0F};
  out.insert(out.end(), version, version + 8);
  append(out, target_name);
  append(out, info);

  Answer a;
  a.step = Step::kChallenge;
  a.token = base64_encode(out);
  return a;
}

NtlmHandshake::Answer NtlmHandshake::on_authenticate(ByteView message) {
  if (!challenged_)
    return reject("an NTLM AUTHENTICATE without a CHALLENGE on this connection");
  challenged_ = false;  // a challenge answers one AUTHENTICATE
  if (message.size() < 52)
    return reject("a truncated NTLM AUTHENTICATE message");
  auto nt = field(message, 20);
  auto domain_field = field(message, 28);
  auto user_field = field(message, 36);
  if (!nt || !domain_field || !user_field)
    return reject("an NTLM AUTHENTICATE whose fields point outside it");
  if (nt->size() <= 24)
    return reject("an NTLMv1 response (only NTLMv2 is accepted)");
  if (nt->size() < 16 + 28 || (*nt)[16] != 1 || (*nt)[17] != 1)
    return reject("an NtChallengeResponse that is not an NTLMv2 response");
  const bool unicode = (flags_ & ntlm_flag::kUnicode) != 0;
  const std::string user = unicode ? from_utf16le(*user_field) : to_string(*user_field);
  const std::string domain = unicode ? from_utf16le(*domain_field) : to_string(*domain_field);
  if (!equal_ci(user, account_.username))
    return reject("unknown user \"" + user + "\"");
  if (!domain.empty() && !equal_ci(domain, account_.domain) &&
      !equal_ci(domain, account_.dns_domain)) {
    return reject("unknown domain \"" + domain + "\"");
  }
  const Bytes key = ntowf_v2(account_.password, user, domain);
  const Bytes proof = ntlmv2_proof(key, challenge_, nt->subspan(16));
  if (!constant_time_equal(proof, nt->first(16)))
    return reject("the NTLMv2 response of " + user + " does not verify (wrong password)");
  user_ = (domain.empty() ? account_.domain : domain) + "\\" + user;
  Answer a;
  a.step = Step::kAuthenticated;
  a.user = *user_;
  return a;
}

}  // namespace capf::testing
