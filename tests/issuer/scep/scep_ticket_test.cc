// The PENDING ticket, and what ScepIssuer decides before it talks to a CA.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/issuer/online/scep/scep_issuer.h"
#include "capf/issuer/online/scep/scep_message.h"
#include "capf/issuer/online/scep/scep_ticket.h"
#include "tests/issuer/scep/scep_test_pki.h"
#include "tests/support/result_matchers.h"

namespace capf::scep {
namespace {

using ::testing::HasSubstr;
namespace test_pki = capf::testing::scep_pki;

PollTicket sample_ticket() {
  PollTicket t;
  t.url = "http://127.0.0.1:1/scep";
  t.transaction_id = std::string(64, 'a');
  t.device_name = "SEP001122334455";
  t.spki_der = {0x30, 0x03, 0x02, 0x01, 0x00};
  t.key = KeySpec{KeyType::kRsa, 3072};
  t.requester_certificate_pem = "-----BEGIN CERTIFICATE-----\n...\n";
  t.requester_key_pem = "-----BEGIN PRIVATE KEY-----\n...\n";
  t.issuer_der = {0x30, 0x00};
  t.subject_der = {0x30, 0x01, 0x05};
  return t;
}

TEST(ScepTicket, RoundTrips) {
  PollTicket t = sample_ticket();
  auto back = decode_ticket(encode_ticket(t));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->url, t.url);
  EXPECT_EQ(back->transaction_id, t.transaction_id);
  EXPECT_EQ(back->device_name, t.device_name);
  EXPECT_EQ(back->spki_der, t.spki_der);
  EXPECT_EQ(back->key, t.key);
  EXPECT_EQ(back->requester_certificate_pem, t.requester_certificate_pem);
  EXPECT_EQ(back->requester_key_pem, t.requester_key_pem);
  EXPECT_EQ(back->issuer_der, t.issuer_der);
  EXPECT_EQ(back->subject_der, t.subject_der);
}

TEST(ScepTicket, RefusesOtherTextNamingWhatIsWrong) {
  for (std::string_view text : {"", "not json", "[]", "{\"scep\":2}", "{\"adcs\":1}"}) {
    auto t = decode_ticket(text);
    ASSERT_FALSE(t) << text;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(t.error().message, HasSubstr("not a scep poll ticket"));
  }
  std::string text = encode_ticket(sample_ticket());
  std::string broken = text.replace(text.find("\"subject\":\""), 11, "\"subject\":\"!!");
  auto t = decode_ticket(broken);
  ASSERT_FALSE(t);
  EXPECT_THAT(t.error().message, HasSubstr("'subject'"));
}

OnlineCaSettings settings_for(std::string url) {
  static const test_pki::Identity ca = test_pki::make_ca("Ticket Test CA");
  OnlineCaSettings s;
  s.protocol = "scep";
  s.url = std::move(url);
  s.ca_chain = {ca.certificate};
  s.secret = "s3cret";
  s.http.retries = 0;
  s.http.connect_timeout = std::chrono::seconds(2);
  s.http.timeout = std::chrono::seconds(5);
  return s;
}

TEST(ScepIssuerSetup, DescribesItselfAndAsksForTheChallenge) {
  SystemClock clock;
  auto issuer = ScepIssuer::create(settings_for("http://127.0.0.1:8080/scep"), clock);
  ASSERT_TRUE(issuer) << issuer.error().message;
  EXPECT_EQ((*issuer)->mode(), IssuerMode::kOnline);
  EXPECT_EQ((*issuer)->describe(), "online scep http://127.0.0.1:8080/scep");
  EXPECT_TRUE((*issuer)->needs_signed_request());
  RequestTemplate t = (*issuer)->request_template("SEP001122334455");
  EXPECT_EQ(t.common_name, "SEP001122334455");
  EXPECT_TRUE(t.dns_names.empty());
  EXPECT_EQ(t.challenge_password, std::optional<std::string>("s3cret"));
}

TEST(ScepIssuerSetup, SupportsRsaOnlyUnlessConfigured) {
  SystemClock clock;
  auto issuer = ScepIssuer::create(settings_for("http://127.0.0.1:8080/scep"), clock);
  ASSERT_TRUE(issuer);
  for (int bits : {2048, 3072, 4096})
    EXPECT_TRUE((*issuer)->supports({KeyType::kRsa, bits})) << bits;
  EXPECT_FALSE((*issuer)->supports({KeyType::kRsa, 1024}));
  EXPECT_FALSE((*issuer)->supports({KeyType::kEc, 256}));
  EXPECT_FALSE((*issuer)->supports({KeyType::kEc, 384}));

  OnlineCaSettings s = settings_for("http://127.0.0.1:8080/scep");
  s.key_types = {{KeyType::kEc, 256}};
  auto configured = ScepIssuer::create(s, clock);
  ASSERT_TRUE(configured);
  EXPECT_TRUE((*configured)->supports({KeyType::kEc, 256}));
  EXPECT_FALSE((*configured)->supports({KeyType::kRsa, 2048}));
}

TEST(ScepIssuerSetup, RefusesABadUrlOrNoChain) {
  SystemClock clock;
  auto ftp = ScepIssuer::create(settings_for("ftp://ca/scep"), clock);
  EXPECT_THAT(ftp, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("ftp://ca/scep")));
  OnlineCaSettings s = settings_for("HTTPS://ca.example.net/scep");
  EXPECT_TRUE(ScepIssuer::create(s, clock));
  s.ca_chain.clear();
  auto no_chain = ScepIssuer::create(s, clock);
  ASSERT_FALSE(no_chain);
  EXPECT_THAT(no_chain.error().message, HasSubstr("no CA chain"));
}

TEST(ScepIssuerSetup, RefusesWorkItCannotDoBeforeAnyNetwork) {
  SystemClock clock;
  // Port 1 on loopback: nothing is asked of it, the issuer stops before.
  auto issuer = ScepIssuer::create(settings_for("http://127.0.0.1:1/scep"), clock);
  ASSERT_TRUE(issuer);
  IssueRequest no_csr{"SEP001122334455", {0x30}, {KeyType::kRsa, 2048}, std::nullopt, "t"};
  auto outcome = (*issuer)->issue(no_csr);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument);

  IssueRequest bad_csr = no_csr;
  bad_csr.csr_der = Bytes{0x01, 0x02};
  outcome = (*issuer)->issue(bad_csr);
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("pkcs#10")));

  auto polled = (*issuer)->retrieve("{\"adcs\":7}");
  ASSERT_FALSE(polled);
  EXPECT_EQ(polled.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace capf::scep
