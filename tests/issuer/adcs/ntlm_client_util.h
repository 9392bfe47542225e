// The client side of NTLM, built by hand for tests that must control each message (which
// connection carries it, which challenge it answers). Uses the stand-in's NTLMv2 functions, which
// the MS-NLMP test vectors check.
#pragma once

#include <initializer_list>
#include <string>

#include "tests/support/adcs_standin/ntlm_server.h"

namespace capf::testing::ntlm_client {

inline void put_u16le(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

inline std::uint32_t u32le(const Bytes& b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

// A NEGOTIATE message asking for Unicode, NTLM and extended session security.
inline std::string negotiate() {
  Bytes m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  put_u32le(m, 1);
  put_u32le(m, ntlm_flag::kUnicode | ntlm_flag::kRequestTarget | ntlm_flag::kNtlm |
                   ntlm_flag::kExtendedSessionSecurity);
  m.insert(m.end(), 16, 0);  // empty domain and workstation fields
  return base64_encode(m);
}

struct Challenge {
  Bytes message;
  std::uint32_t flags = 0;
  Bytes server_challenge;
  Bytes target_info;
};

inline Challenge read_challenge(const std::string& token) {
  Challenge c;
  c.message = base64_decode(token).value();
  c.flags = u32le(c.message, 20);
  c.server_challenge.assign(c.message.begin() + 24, c.message.begin() + 32);
  std::size_t len = c.message[40] | (c.message[41] << 8);
  std::size_t offset = u32le(c.message, 44);
  c.target_info.assign(c.message.begin() + static_cast<long>(offset),
                       c.message.begin() + static_cast<long>(offset + len));
  return c;
}

// An AUTHENTICATE message (Unicode strings) carrying an NTLMv2 response for `password`.
inline std::string authenticate(const Challenge& challenge, const std::string& domain,
                                const std::string& user, const std::string& password) {
  Bytes blob = {1, 1, 0, 0, 0, 0, 0, 0};
  blob.insert(blob.end(), 8, 0x11);  // timestamp
  blob.insert(blob.end(), 8, 0xaa);  // client challenge
  blob.insert(blob.end(), 4, 0);
  append(blob, challenge.target_info);
  blob.insert(blob.end(), 4, 0);
  Bytes proof = ntlmv2_proof(ntowf_v2(password, user, domain), challenge.server_challenge, blob);
  Bytes nt = proof;
  append(nt, blob);
  Bytes lm(24, 0);
  Bytes dom = utf16le(domain);
  Bytes usr = utf16le(user);
  Bytes ws = utf16le("PHONE");

  Bytes m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  put_u32le(m, 3);
  std::size_t offset = 64;
  const Bytes empty;
  for (const Bytes* f : std::initializer_list<const Bytes*>{&lm, &nt, &dom, &usr, &ws, &empty}) {
    std::size_t len = f->size();
    put_u16le(m, len);
    put_u16le(m, len);
    put_u32le(m, static_cast<std::uint32_t>(offset));
    offset += len;
  }
  put_u32le(m, challenge.flags);
  for (const Bytes* f : std::initializer_list<const Bytes*>{&lm, &nt, &dom, &usr, &ws})
    append(m, *f);
  return base64_encode(m);
}

}  // namespace capf::testing::ntlm_client
