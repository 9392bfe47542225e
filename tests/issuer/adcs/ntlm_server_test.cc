// The stand-in's NTLM server against the MS-NLMP §4.2 test vectors and hand-built messages.
#include "tests/support/adcs_standin/ntlm_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/issuer/adcs/ntlm_client_util.h"

namespace capf::testing {
namespace {

using namespace ntlm_client;

Bytes hex(std::string_view text) {
  return from_hex(text).value();
}

NtlmAccount account() {
  NtlmAccount a;
  a.domain = "EXAMPLE";
  a.username = "svc-capf";
  a.password = "Pa55word";
  return a;
}

TEST(NtlmServer, MatchesTheMsNlmpTestVectors) {
  // [MS-NLMP] §4.2.2.1.2 (NTOWFv1), §4.2.4.1.1 (NTOWFv2) and §4.2.4.2.2 (NTProofStr).
  EXPECT_EQ(to_hex(nt_hash("Password")), "a4f49c406510bdcab6824ee7c30fd852");
  Bytes key = ntowf_v2("Password", "User", "Domain");
  EXPECT_EQ(to_hex(key), "0c868a403bfd7a93a3001ef22ef02e3f");
  // temp of §4.2.4.1.3: header, time 0, client challenge aa.., AV pairs Domain/Server, zeros.
  Bytes temp =
      hex("0101000000000000"
          "0000000000000000"
          "aaaaaaaaaaaaaaaa"
          "00000000"
          "02000c0044006f006d00610069006e00"
          "01000c00530065007200760065007200"
          "00000000"
          "00000000");
  EXPECT_EQ(to_hex(ntlmv2_proof(key, hex("0123456789abcdef"), temp)),
            "68cd0ab851e51c96aabc927bebef6a1c");
}

TEST(NtlmServer, ChallengeCarriesTargetInfoAndARandomChallenge) {
  NtlmAccount a = account();
  NtlmHandshake first(a);
  NtlmHandshake second(a);
  auto one = first.accept(negotiate());
  auto two = second.accept(negotiate());
  ASSERT_EQ(one.step, NtlmHandshake::Step::kChallenge) << one.reason;
  Challenge c = read_challenge(one.token);
  EXPECT_EQ(c.message[8], 2);
  EXPECT_NE(c.flags & ntlm_flag::kTargetInfo, 0u);
  EXPECT_NE(c.flags & ntlm_flag::kUnicode, 0u);
  EXPECT_NE(c.flags & ntlm_flag::kExtendedSessionSecurity, 0u);
  EXPECT_EQ(c.server_challenge,
            Bytes(first.server_challenge().begin(), first.server_challenge().end()));
  EXPECT_NE(first.server_challenge(), second.server_challenge());
  // AV pairs: NetBIOS domain and computer, DNS names, a timestamp, the end marker.
  std::vector<int> ids;
  for (std::size_t at = 0; at + 4 <= c.target_info.size();) {
    int id = c.target_info[at] | (c.target_info[at + 1] << 8);
    std::size_t len = c.target_info[at + 2] | (c.target_info[at + 3] << 8);
    ids.push_back(id);
    if (id == 7) {
      EXPECT_EQ(len, 8u);
    }
    at += 4 + len;
  }
  EXPECT_EQ(ids, (std::vector<int>{2, 1, 4, 3, 7, 0}));
}

TEST(NtlmServer, AcceptsTheRightNtlmv2ResponseOnlyOnce) {
  NtlmAccount a = account();
  NtlmHandshake handshake(a);
  Challenge c = read_challenge(handshake.accept(negotiate()).token);
  const std::string token = authenticate(c, "example", "SVC-CAPF", "Pa55word");
  auto answer = handshake.accept(token);
  ASSERT_EQ(answer.step, NtlmHandshake::Step::kAuthenticated) << answer.reason;
  EXPECT_TRUE(handshake.authenticated());
  EXPECT_EQ(handshake.user(), "example\\SVC-CAPF");
  // The challenge is spent: the same AUTHENTICATE again is refused.
  EXPECT_EQ(handshake.accept(token).step, NtlmHandshake::Step::kRejected);
}

TEST(NtlmServer, RefusesWrongPasswordUserDomainAndMissingChallenge) {
  NtlmAccount a = account();
  {
    NtlmHandshake h(a);
    Challenge c = read_challenge(h.accept(negotiate()).token);
    auto answer = h.accept(authenticate(c, "EXAMPLE", "svc-capf", "wrong"));
    EXPECT_EQ(answer.step, NtlmHandshake::Step::kRejected);
    EXPECT_THAT(answer.reason, ::testing::HasSubstr("wrong password"));
    EXPECT_FALSE(h.authenticated());
  }
  {
    NtlmHandshake h(a);
    Challenge c = read_challenge(h.accept(negotiate()).token);
    EXPECT_EQ(h.accept(authenticate(c, "EXAMPLE", "someone", "Pa55word")).step,
              NtlmHandshake::Step::kRejected);
  }
  {
    NtlmHandshake h(a);
    Challenge c = read_challenge(h.accept(negotiate()).token);
    EXPECT_EQ(h.accept(authenticate(c, "OTHERDOM", "svc-capf", "Pa55word")).step,
              NtlmHandshake::Step::kRejected);
  }
  {
    // An AUTHENTICATE computed for another connection's challenge.
    NtlmHandshake elsewhere(a);
    Challenge c = read_challenge(elsewhere.accept(negotiate()).token);
    NtlmHandshake h(a);
    auto answer = h.accept(authenticate(c, "EXAMPLE", "svc-capf", "Pa55word"));
    EXPECT_EQ(answer.step, NtlmHandshake::Step::kRejected);
    EXPECT_THAT(answer.reason, ::testing::HasSubstr("without a CHALLENGE"));
  }
  NtlmHandshake h(a);
  EXPECT_EQ(h.accept("not base64 !").step, NtlmHandshake::Step::kRejected);
  EXPECT_EQ(h.accept(base64_encode(as_bytes("NTLMSSP"))).step, NtlmHandshake::Step::kRejected);
}

}  // namespace
}  // namespace capf::testing
