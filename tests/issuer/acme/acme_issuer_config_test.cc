// AcmeIssuer without a CA: configuration, templates and requests refused before any I/O.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "capf/issuer/online/acme/acme_issuer.h"
#include "tests/issuer/acme/pebble.h"
#include "tests/issuer/acme/phone_request.h"

namespace capf {
namespace {

using testing::make_phone;
using testing::Phone;
using testing::TempDir;

OnlineCaSettings offline_settings(const TempDir& dir) {
  OnlineCaSettings s;
  s.url = "https://acme.example.net/directory";
  s.acme_account_key_file = dir / "account.pem";
  auto [status, output] = testing::run_shell(
      "cd '" + dir.path().string() +
      "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
      "-out ca.pem -days 30 -subj '/CN=ACME test root' 2>&1");
  EXPECT_EQ(status, 0) << output;
  s.ca_chain = {*pki::Certificate::from_pem(to_string(dir.read("ca.pem")))};
  s.http.trust = s.ca_chain;
  return s;
}

TEST(AcmeIssuer, DescribesItselfAndAsksForTheLowerCaseDeviceNameWithTheSuffix) {
  TempDir dir;
  SystemClock clock;
  OnlineCaSettings s = offline_settings(dir);
  s.acme_identifier_suffix = "phones.example.net";
  auto issuer = AcmeIssuer::create(s, clock);
  ASSERT_TRUE(issuer) << issuer.error().message;
  EXPECT_EQ((*issuer)->mode(), IssuerMode::kOnline);
  EXPECT_EQ((*issuer)->describe(), "online acme https://acme.example.net/directory");
  EXPECT_TRUE((*issuer)->needs_signed_request());
  RequestTemplate t = (*issuer)->request_template("SEP001122334455");
  EXPECT_EQ(t.common_name, "sep001122334455.phones.example.net");
  EXPECT_EQ(t.dns_names, std::vector<std::string>{"sep001122334455.phones.example.net"});
  EXPECT_FALSE(t.challenge_password);

  s.acme_identifier_suffix = ".phones.example.net";
  EXPECT_EQ((*AcmeIssuer::create(s, clock))->identifier("SEPAABB"), "sepaabb.phones.example.net");
  s.acme_identifier_suffix = "";
  EXPECT_EQ((*AcmeIssuer::create(s, clock))->identifier("SEPAABB"), "sepaabb");
}

TEST(AcmeIssuer, SupportsTheConfiguredKeyTypesOrTheUsualAcmeOnes) {
  TempDir dir;
  SystemClock clock;
  OnlineCaSettings s = offline_settings(dir);
  auto issuer = AcmeIssuer::create(s, clock);
  ASSERT_TRUE(issuer);
  for (KeySpec k :
       {KeySpec{KeyType::kRsa, 2048}, KeySpec{KeyType::kRsa, 3072}, KeySpec{KeyType::kRsa, 4096},
        KeySpec{KeyType::kEc, 256}, KeySpec{KeyType::kEc, 384}})
    EXPECT_TRUE((*issuer)->supports(k)) << k.bits;
  EXPECT_FALSE((*issuer)->supports({KeyType::kRsa, 1024}));
  EXPECT_FALSE((*issuer)->supports({KeyType::kEc, 521}));

  s.key_types = {KeySpec{KeyType::kEc, 256}};
  auto only_ec = AcmeIssuer::create(s, clock);
  ASSERT_TRUE(only_ec);
  EXPECT_TRUE((*only_ec)->supports({KeyType::kEc, 256}));
  EXPECT_FALSE((*only_ec)->supports({KeyType::kRsa, 2048}));
}

TEST(AcmeIssuer, RefusesAConfigurationItCannotUseAndSaysWhatToSet) {
  TempDir dir;
  SystemClock clock;
  struct Case {
    std::function<void(OnlineCaSettings&)> edit;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[](OnlineCaSettings& s) { s.url = "http://acme.example.net/directory"; }, "not https"},
      {[](OnlineCaSettings& s) { s.ca_chain.clear(); }, "set ca_chain"},
      {[](OnlineCaSettings& s) { s.acme_account_key_file.clear(); }, "set acme_account_key_file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    OnlineCaSettings settings = offline_settings(dir);
    c.edit(settings);
    auto issuer = AcmeIssuer::create(settings, clock);
    ASSERT_FALSE(issuer);
    EXPECT_EQ(issuer.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(issuer.error().message.find(c.says), std::string::npos) << issuer.error().message;
  }
}

TEST(AcmeIssuer, RefusesRequestsItCannotSendWithoutContactingTheCa) {
  TempDir dir;
  SystemClock clock;
  OnlineCaSettings s = offline_settings(dir);
  s.acme_identifier_suffix = "phones.test";
  auto issuer = AcmeIssuer::create(s, clock);
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(**issuer, {KeyType::kEc, 256});

  IssueRequest unsigned_request = phone.request;
  unsigned_request.csr_der.reset();
  auto a = (*issuer)->issue(unsigned_request);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument) << a.error().message;

  IssueRequest other_key = phone.request;
  other_key.spki_der = pki::PrivateKey::generate({KeyType::kEc, 256})->spki_der();
  auto b = (*issuer)->issue(other_key);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument) << b.error().message;

  IssueRequest unsupported = phone.request;
  unsupported.key = {KeyType::kEc, 521};
  auto c = (*issuer)->issue(unsupported);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << c.error().message;
  EXPECT_FALSE(std::filesystem::exists(s.acme_account_key_file));
}

}  // namespace
}  // namespace capf
