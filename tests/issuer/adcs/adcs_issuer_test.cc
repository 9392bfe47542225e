// AdcsIssuer against the stand-in AD CS web enrollment (HTTPS, NTLM or Basic, real libcurl).
#include "capf/issuer/online/adcs/adcs_issuer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <variant>

#include "capf/pki/profiles.h"
#include "tests/issuer/adcs/adcs_test_util.h"
#include "tests/support/result_matchers.h"
#include "tests/support/temp_dir.h"

namespace capf {
namespace {

namespace ct = capf::testing;
using ::testing::HasSubstr;

constexpr char kRefusal[] =
    "Denied by Policy Module  0x80094012, The request was denied because the account may not "
    "enroll for this template.";

class AdcsIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override { standin_ = ct::start_standin(ct::StandinAuth::kNtlm, kRefusal); }

  std::unique_ptr<AdcsIssuer> issuer(const OnlineCaSettings& settings) {
    auto created = AdcsIssuer::create(settings, clock_);
    EXPECT_TRUE(created) << created.error().message;
    return created ? std::move(*created) : nullptr;
  }
  std::unique_ptr<AdcsIssuer> issuer() { return issuer(ct::settings_for(*standin_)); }

  // A certificate nobody configured: another CA's root.
  pki::Certificate stranger() {
    auto key = pki::PrivateKey::generate(KeySpec{KeyType::kEc, 256});
    auto cert = pki::make_capf_certificate(*key, {"CN=Some Other CA,O=Elsewhere", 30}, clock_);
    return *cert;
  }

  void expect_issued_for(const IssueOutcome& outcome, const ct::PhoneRequest& phone) {
    ASSERT_TRUE(std::holds_alternative<Issued>(outcome));
    const Issued& issued = std::get<Issued>(outcome);
    EXPECT_EQ(issued.certificate.spki_der(), phone.key.spki_der());
    EXPECT_EQ(issued.certificate.common_name(), phone.request.device_name);
    EXPECT_EQ(issued.certificate.issuer(), standin_->ca_certificate().subject());
    ASSERT_EQ(issued.chain.size(), 1u);
    EXPECT_EQ(issued.chain[0], standin_->ca_certificate());
  }

  SystemClock clock_;
  std::unique_ptr<ct::AdcsStandin> standin_;
};

TEST_F(AdcsIssuerTest, IssuesRsa2048OverNtlmAndTheCertificateVerifiesWithOpenssl) {
  auto phone = ct::make_phone_request();
  auto outcome = issuer()->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  expect_issued_for(*outcome, phone);

  // The real openssl command line agrees: the LSC chains to the stand-in's CA and carries the
  // phone's key.
  ct::TempDir dir;
  const Issued& issued = std::get<Issued>(*outcome);
  dir.write("ca.pem", standin_->ca_certificate().pem());
  dir.write("lsc.pem", issued.certificate.pem());
  dir.write("phone.pem", *phone.key.to_pem());
  auto verify =
      ct::run_shell("openssl verify -CAfile " + dir.file("ca.pem") + " " + dir.file("lsc.pem"));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("lsc.pem: OK"));
  auto cert_key = ct::run_shell("openssl x509 -noout -pubkey -in " + dir.file("lsc.pem"));
  auto phone_key = ct::run_shell("openssl pkey -pubout -in " + dir.file("phone.pem"));
  EXPECT_EQ(cert_key.exit_code, 0) << cert_key.output;
  EXPECT_EQ(cert_key.output, phone_key.output);

  // What went over the wire: one request, one download, NTLM only, the form AD CS expects.
  ct::StandinStats stats = standin_->stats();
  EXPECT_EQ(stats.new_requests, 1);
  EXPECT_EQ(stats.certificate_fetches, 1);
  EXPECT_EQ(stats.issued, 1);
  // One NTLM handshake: the GET reuses the connection the POST authenticated (keep-alive).
  EXPECT_EQ(stats.ntlm_logons, 1);
  EXPECT_EQ(stats.basic_logons, 0);
  EXPECT_EQ(stats.refused_logons, 0);
  auto form = standin_->last_form();
  EXPECT_EQ(form["mode"], "newreq");
  EXPECT_EQ(form["certattrib"], "CertificateTemplate:CiscoRA");
  EXPECT_EQ(form["targetstoreflags"], "0");
  EXPECT_EQ(form["savecert"], "yes");
  EXPECT_THAT(form["certrequest"], HasSubstr("-----BEGIN CERTIFICATE REQUEST-----"));
}

TEST_F(AdcsIssuerTest, IssuesOverBasicWhenTheAdminEnabledIt) {
  standin_ = ct::start_standin(ct::StandinAuth::kBasic);
  auto phone = ct::make_phone_request();
  auto outcome = issuer(ct::settings_for(*standin_, "basic"))->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  expect_issued_for(*outcome, phone);
  ct::StandinStats stats = standin_->stats();
  EXPECT_EQ(stats.basic_logons, 2);
  EXPECT_EQ(stats.ntlm_logons, 0);
}

TEST_F(AdcsIssuerTest, WrongNtlmPasswordIsPermissionDeniedNamingTheUser) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.secret = "not-the-password";
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(
      outcome,
      FailsWith(
          ErrorCode::kPermissionDenied,
          "the CA refused the credentials of EXAMPLE\\svc-capf (HTTP 401): check "
          "[issuer.online] username and password, and that the account may enroll on template "
          "CiscoRA"));
  EXPECT_GE(standin_->stats().refused_logons, 1);
  EXPECT_EQ(standin_->stats().new_requests, 0);
}

TEST_F(AdcsIssuerTest, WrongBasicPasswordIsPermissionDeniedNamingTheUser) {
  standin_ = ct::start_standin(ct::StandinAuth::kBasic);
  OnlineCaSettings settings = ct::settings_for(*standin_, "basic");
  settings.secret = "not-the-password";
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(outcome,
              FailsWith(ErrorCode::kPermissionDenied, HasSubstr("EXAMPLE\\svc-capf (HTTP 401)")));
  EXPECT_EQ(standin_->stats().refused_logons, 1);
}

TEST_F(AdcsIssuerTest, PendingRequestIsRetrievedOnceTheAdministratorApprovesIt) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.template_name = "Manual";
  auto adcs = issuer(settings);
  auto phone = ct::make_phone_request();
  auto outcome = adcs->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_TRUE(std::holds_alternative<PendingIssue>(*outcome));
  const PendingIssue pending = std::get<PendingIssue>(*outcome);
  const int id = standin_->last_request_id();
  EXPECT_EQ(pending.ticket, std::to_string(id));
  EXPECT_EQ(pending.detail, "taken under submission (request id " + std::to_string(id) + ")");

  auto again = adcs->retrieve(pending.ticket);
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_TRUE(std::holds_alternative<PendingIssue>(*again));
  EXPECT_EQ(std::get<PendingIssue>(*again).ticket, pending.ticket);

  ASSERT_TRUE(standin_->approve(id));
  auto ready = adcs->retrieve(pending.ticket);
  ASSERT_TRUE(ready) << ready.error().message;
  expect_issued_for(*ready, phone);
  EXPECT_EQ(standin_->stats().new_requests, 1);
  EXPECT_EQ(standin_->stats().certificate_fetches, 2);
}

TEST_F(AdcsIssuerTest, TemplateDenialKeepsTheDispositionMessageWordForWord) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.template_name = "Refuse";
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied,
                                 std::string("the CA denied the request: ") + kRefusal));
}

TEST_F(AdcsIssuerTest, AdministratorDenialOfAPendingRequestIsPermissionDenied) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.template_name = "Manual";
  auto adcs = issuer(settings);
  auto outcome = adcs->issue(ct::make_phone_request().request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_TRUE(std::holds_alternative<PendingIssue>(*outcome));
  const std::string disposition =
      "Denied by Policy Module  0x80094014, Denied by Jane (no LSC "
      "for lobby phones).";
  ASSERT_TRUE(standin_->deny(standin_->last_request_id(), disposition));
  auto denied = adcs->retrieve(std::get<PendingIssue>(*outcome).ticket);
  EXPECT_THAT(denied,
              FailsWith(ErrorCode::kPermissionDenied, "the CA denied the request: " + disposition));
}

TEST_F(AdcsIssuerTest, UnknownTemplateIsPermissionDenied) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.template_name = "NoSuchTemplate";
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(
      outcome,
      FailsWith(
          ErrorCode::kPermissionDenied,
          ::testing::AllOf(
              HasSubstr("template that is not supported"),
              HasSubstr("Denied by Policy Module  0x80094800, The request was for a certificate "
                        "template that is not supported by the Active Directory Certificate "
                        "Services policy: NoSuchTemplate."))));
}

TEST_F(AdcsIssuerTest, StandinDownIsUnavailable) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  standin_->stop();
  auto start = std::chrono::steady_clock::now();
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable) << outcome.error().message;
  EXPECT_THAT(outcome.error().message, HasSubstr(settings.url));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(AdcsIssuerTest, UntrustedHttpsCertificateIsUntrusted) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.http.trust = {stranger()};
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kUntrusted) << outcome.error().message;
  EXPECT_EQ(standin_->stats().new_requests, 0);
}

TEST_F(AdcsIssuerTest, CertificateThatDoesNotChainToTheConfiguredCaIsRefused) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.ca_chain = {stranger()};
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied,
                                 HasSubstr("does not chain to the configured CA chain")));
}

TEST_F(AdcsIssuerTest, EcdsaIsIssuedWhenTheAdminListsIt) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.key_types = {KeySpec{KeyType::kEc, 256}};
  auto adcs = issuer(settings);
  ASSERT_TRUE(adcs->supports(KeySpec{KeyType::kEc, 256}));
  EXPECT_FALSE(adcs->supports(KeySpec{KeyType::kRsa, 2048}));
  auto phone = ct::make_phone_request(KeySpec{KeyType::kEc, 256});
  auto outcome = adcs->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  expect_issued_for(*outcome, phone);
}

TEST_F(AdcsIssuerTest, RetrieveOfARequestTheCaDoesNotKnowIsPermissionDenied) {
  auto outcome = issuer()->retrieve("4242");
  EXPECT_THAT(outcome,
              FailsWith(ErrorCode::kPermissionDenied, HasSubstr("the CA has no request 4242")));
}

TEST_F(AdcsIssuerTest, RetrieveRefusesATicketThatIsNotARequestId) {
  auto outcome = issuer()->retrieve("../certcarc.asp");
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(standin_->stats().certificate_fetches, 0);
}

TEST_F(AdcsIssuerTest, IssueWithoutThePhoneSignedRequestIsInvalidArgument) {
  auto phone = ct::make_phone_request();
  phone.request.csr_der.reset();
  auto outcome = issuer()->issue(phone.request);
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("SEP001122334455")));
}

TEST_F(AdcsIssuerTest, PageItDoesNotRecogniseIsUnavailableWithAnExcerpt) {
  // certcarc.asp answers the POST: a certsrv page, but none of the enrollment answers.
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.url = standin_->url() + "/certcarc.asp?";
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(
      outcome,
      FailsWith(ErrorCode::kUnavailable,
                HasSubstr("the CA answered with a page opencapf does not recognise (is the CA's "
                          "web enrollment in English?): Microsoft Active Directory Certificate "
                          "Services")));
}

TEST_F(AdcsIssuerTest, WrongUrlPathIsUnavailableNamingTheUrl) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.url = standin_->url() + "/nothing-here";
  auto outcome = issuer(settings)->issue(ct::make_phone_request().request);
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kUnavailable, HasSubstr("(HTTP 404)")));
}

TEST_F(AdcsIssuerTest, FetchCaChainReturnsTheStandinRoot) {
  auto chain = issuer()->fetch_ca_chain();
  ASSERT_TRUE(chain) << chain.error().message;
  ASSERT_EQ(chain->size(), 1u);
  EXPECT_EQ((*chain)[0], standin_->ca_certificate());
  EXPECT_EQ(standin_->stats().ca_pages, 1);
  EXPECT_EQ(standin_->stats().chain_fetches, 1);
}

TEST_F(AdcsIssuerTest, CheckPassesWithTheRightChain) {
  Status checked = issuer()->check();
  EXPECT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(standin_->stats().home_pages, 1);
}

TEST_F(AdcsIssuerTest, CheckFailsWithAnotherChainNamingBoth) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  pki::Certificate other = stranger();
  settings.ca_chain = {other};
  Status checked = issuer(settings)->check();
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(checked.error().message, HasSubstr(other.subject()));
  EXPECT_THAT(checked.error().message, HasSubstr(standin_->ca_certificate().subject()));
  EXPECT_THAT(checked.error().message, HasSubstr(other.fingerprint_sha256()));
}

TEST_F(AdcsIssuerTest, CheckFailsWithWrongCredentials) {
  OnlineCaSettings settings = ct::settings_for(*standin_);
  settings.secret = "nope";
  Status checked = issuer(settings)->check();
  EXPECT_THAT(checked, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("HTTP 401")));
}

TEST_F(AdcsIssuerTest, DescribesItselfAndSupportsRsaOnlyByDefault) {
  auto adcs = issuer();
  EXPECT_EQ(adcs->mode(), IssuerMode::kOnline);
  EXPECT_TRUE(adcs->needs_signed_request());
  EXPECT_EQ(adcs->describe(), "online adcs " + standin_->url() + " (template CiscoRA)");
  for (int bits : {1024, 2048, 3072, 4096})
    EXPECT_TRUE(adcs->supports(KeySpec{KeyType::kRsa, bits})) << bits;
  EXPECT_FALSE(adcs->supports(KeySpec{KeyType::kRsa, 512}));
  for (int bits : {256, 384, 521})
    EXPECT_FALSE(adcs->supports(KeySpec{KeyType::kEc, bits})) << bits;
}

TEST_F(AdcsIssuerTest, CreateRefusesSettingsItCannotUseNamingTheKey) {
  struct Case {
    std::function<void(OnlineCaSettings&)> change;
    std::string expected;
  };
  const Case cases[] = {
      {[](OnlineCaSettings& s) { s.url = "http://ca.example.net/certsrv"; }, "must be https://"},
      {[](OnlineCaSettings& s) { s.template_name.clear(); }, "template is empty"},
      {[](OnlineCaSettings& s) { s.username.clear(); }, "username is empty"},
      {[](OnlineCaSettings& s) { s.secret.reset(); }, "password_file or password_env"},
      {[](OnlineCaSettings& s) { s.auth = "kerberos"; }, "auth = \"kerberos\""},
      {[](OnlineCaSettings& s) { s.ca_chain.clear(); }, "ca_chain_file holds no certificate"},
  };
  for (const Case& c : cases) {
    OnlineCaSettings settings = ct::settings_for(*standin_);
    c.change(settings);
    auto created = AdcsIssuer::create(settings, clock_);
    EXPECT_THAT(created, FailsWith(ErrorCode::kInvalidArgument, HasSubstr(c.expected)))
        << c.expected;
  }
}

}  // namespace
}  // namespace capf
