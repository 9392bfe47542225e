// AcmeIssuer against a real pebble on 127.0.0.1 (tests/issuer/acme/pebble.h).
#include "capf/issuer/online/acme/acme_issuer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <barrier>
#include <chrono>
#include <thread>

#include "capf/pki/csr.h"
#include "capf/pki/key.h"
#include "tests/issuer/acme/pebble.h"
#include "tests/issuer/acme/phone_request.h"

namespace capf {
namespace {

using testing::kDevice;
using testing::make_phone;
using testing::Pebble;
using testing::Phone;
using testing::TempDir;

class AcmeIssuerTest : public ::testing::Test {
 protected:
  void start_pebble(const Pebble::Env& env = Pebble::default_env(),
                    const std::vector<std::string>& args = {}) {
    std::string failure = pebble_.start(dir_, env, args);
    ASSERT_EQ(failure, "") << failure;
  }

  OnlineCaSettings settings() const {
    OnlineCaSettings s;
    s.protocol = "acme";
    s.url = pebble_.directory_url();
    s.ca_chain = {pebble_.intermediate(), pebble_.root()};
    s.acme_account_key_file = dir_ / "acme-account.pem";
    s.acme_email = "capf-admin@phones.test";
    s.acme_identifier_suffix = "phones.test";
    s.http.trust = {pebble_.tls_ca()};
    s.http.timeout = std::chrono::seconds(5);
    s.http.connect_timeout = std::chrono::seconds(2);
    s.http.retries = 0;
    return s;
  }

  std::unique_ptr<AcmeIssuer> make_issuer(const OnlineCaSettings& s) {
    auto issuer = AcmeIssuer::create(s, clock_);
    EXPECT_TRUE(issuer) << issuer.error().message;
    return issuer ? std::move(issuer).value() : nullptr;
  }

  // Asserts the certificate is the phone's, for its identifier, and verifies with the openssl CLI
  // against pebble's root through its intermediate.
  void expect_good_lsc(const Issued& issued, const Phone& phone, const AcmeIssuer& issuer) {
    EXPECT_EQ(issued.certificate.spki_der(), phone.key.spki_der());
    EXPECT_EQ(issued.certificate.common_name(), issuer.identifier(kDevice));
    ASSERT_EQ(issued.chain.size(), 2u);
    EXPECT_EQ(issued.chain[0], pebble_.intermediate());
    EXPECT_EQ(issued.chain[1], pebble_.root());
    std::string leaf = dir_.write("leaf.pem", issued.certificate.pem());
    auto [status, output] =
        testing::run_shell("openssl verify -CAfile '" + pebble_.root_file() + "' -untrusted '" +
                           pebble_.intermediate_file() + "' '" + leaf + "'");
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find(": OK"), std::string::npos) << output;
  }

  void TearDown() override {
    if (HasFailure())
      std::cerr << "pebble log:\n" << pebble_.log() << "\n";
  }

  TempDir dir_;
  Pebble pebble_;
  SystemClock clock_;
};

class AcmeIssuerKeyTest : public AcmeIssuerTest, public ::testing::WithParamInterface<KeySpec> {};

TEST_P(AcmeIssuerKeyTest, IssuesAnLscThatVerifiesAgainstPebblesChain) {
  start_pebble();
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, GetParam());
  auto outcome = issuer->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_TRUE(std::holds_alternative<Issued>(*outcome));
  expect_good_lsc(std::get<Issued>(*outcome), phone, *issuer);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, AcmeIssuerKeyTest,
                         ::testing::Values(KeySpec{KeyType::kRsa, 2048}, KeySpec{KeyType::kEc, 256},
                                           KeySpec{KeyType::kEc, 384}),
                         [](const auto& info) {
                           return std::string(info.param.type == KeyType::kRsa ? "Rsa" : "Ec") +
                                  std::to_string(info.param.bits);
                         });

TEST_F(AcmeIssuerTest, CreatesTheAccountKeyFileWithMode0600AndReusesItAcrossInstances) {
  start_pebble();
  OnlineCaSettings s = settings();
  auto first = make_issuer(s);
  ASSERT_TRUE(first);
  EXPECT_FALSE(std::filesystem::exists(s.acme_account_key_file)) << "create() must do no I/O";
  ASSERT_TRUE(first->check()) << first->check().error().message;
  struct stat st {};
  ASSERT_EQ(::stat(s.acme_account_key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Bytes key_file = dir_.read("acme-account.pem");
  auto key = pki::PrivateKey::from_pem(to_string(key_file));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->spec(), (KeySpec{KeyType::kEc, 256}));
  std::string account = first->account_url();
  EXPECT_EQ(account.rfind("https://127.0.0.1:" + std::to_string(pebble_.port()) + "/", 0), 0u)
      << account;

  auto second = make_issuer(s);
  ASSERT_TRUE(second);
  Phone phone = make_phone(*second, {KeyType::kEc, 256});
  auto outcome = second->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(second->account_url(), account);
  EXPECT_EQ(dir_.read("acme-account.pem"), key_file);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    files += entry.path().filename().string().find(".tmp") != std::string::npos ? 1 : 0;
  EXPECT_EQ(files, 0);
}

TEST_F(AcmeIssuerTest, UsesAnExistingRsaAccountKeyWithRs256) {
  start_pebble();
  OnlineCaSettings s = settings();
  auto rsa = pki::PrivateKey::generate({KeyType::kRsa, 2048});
  ASSERT_TRUE(rsa);
  dir_.write("acme-account.pem", *rsa->to_pem());
  auto issuer = make_issuer(s);
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, {KeyType::kEc, 256});
  auto outcome = issuer->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  expect_good_lsc(std::get<Issued>(*outcome), phone, *issuer);
}

TEST_F(AcmeIssuerTest, RefusesAnAccountKeyItCannotSignWithNamingTheFix) {
  start_pebble();
  auto p384 = pki::PrivateKey::generate({KeyType::kEc, 384});
  ASSERT_TRUE(p384);
  dir_.write("acme-account.pem", *p384->to_pem());
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Status checked = issuer->check();
  ASSERT_FALSE(checked);

  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(checked.error().message.find("use an EC P-256 key"), std::string::npos)
      << checked.error().message;
}

TEST_F(AcmeIssuerTest, AccountKeyInAFolderThatDoesNotExistIsAnIoErrorNamingTheFile) {
  start_pebble();
  OnlineCaSettings s = settings();
  s.acme_account_key_file = dir_ / "missing" / "account.pem";
  auto issuer = make_issuer(s);
  ASSERT_TRUE(issuer);
  Status checked = issuer->check();
  ASSERT_FALSE(checked);

  EXPECT_EQ(checked.error().code, ErrorCode::kIo) << checked.error().message;
  EXPECT_NE(checked.error().message.find(s.acme_account_key_file.string()), std::string::npos)
      << checked.error().message;
}

TEST_F(AcmeIssuerTest, TwoSessionsIssueAtTheSameTime) {
  start_pebble();
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Phone a = make_phone(*issuer, {KeyType::kEc, 256}, "SEP00000000000A");
  Phone b = make_phone(*issuer, {KeyType::kRsa, 2048}, "SEP00000000000B");
  std::barrier together(2);
  std::optional<Result<IssueOutcome>> out_a, out_b;
  std::thread ta([&] {
    together.arrive_and_wait();
    out_a.emplace(issuer->issue(a.request));
  });
  std::thread tb([&] {
    together.arrive_and_wait();
    out_b.emplace(issuer->issue(b.request));
  });
  ta.join();
  tb.join();
  ASSERT_TRUE(*out_a) << out_a->error().message;
  ASSERT_TRUE(*out_b) << out_b->error().message;
  const Issued& ia = std::get<Issued>(**out_a);
  const Issued& ib = std::get<Issued>(**out_b);
  EXPECT_EQ(ia.certificate.spki_der(), a.key.spki_der());
  EXPECT_EQ(ib.certificate.spki_der(), b.key.spki_der());
  EXPECT_EQ(ia.certificate.common_name(), "sep00000000000a.phones.test");
  EXPECT_EQ(ib.certificate.common_name(), "sep00000000000b.phones.test");
}

TEST_F(AcmeIssuerTest, EveryNonceRejectedFailsWithinBoundsInsteadOfLooping) {
  Pebble::Env env = Pebble::default_env();
  for (auto& [name, value] : env) {
    if (name == "PEBBLE_WFE_NONCEREJECT")
      value = "100";
  }
  start_pebble(env);
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, {KeyType::kEc, 256});
  auto started = std::chrono::steady_clock::now();
  auto outcome = issuer->issue(phone.request);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(outcome);

  EXPECT_TRUE(outcome.error().code == ErrorCode::kPermissionDenied ||
              outcome.error().code == ErrorCode::kUnavailable)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("urn:ietf:params:acme:error:badNonce"), std::string::npos)
      << outcome.error().message;
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(AcmeIssuerTest, ChallengeTheCaCouldNotValidateIsRejectedWithItsError) {
  // A CA that really validates: pebble asks a DNS server where nothing listens, so the http-01
  // validation fails at once, as it would for any phone name on a CA without a policy for them.
  Pebble::Env env = Pebble::default_env();
  for (auto& [name, value] : env) {
    if (name == "PEBBLE_VA_ALWAYS_VALID")
      value = "0";
  }
  start_pebble(env, {"-dnsserver", "127.0.0.1:" + std::to_string(testing::free_loopback_port())});
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, {KeyType::kEc, 256});
  auto started = std::chrono::steady_clock::now();
  auto outcome = issuer->issue(phone.request);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kPermissionDenied) << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("acme urn:ietf:params:acme:error:"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("http-01 challenge for sep001122334455.phones.test"),
            std::string::npos)
      << outcome.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(AcmeIssuerTest, PebbleHttpsCertificateNotInTrustIsUntrusted) {
  start_pebble();
  OnlineCaSettings s = settings();
  s.http.trust = {pebble_.root()};  // a real CA, but not the one behind pebble's HTTPS
  auto issuer = make_issuer(s);
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, {KeyType::kEc, 256});
  auto outcome = issuer->issue(phone.request);
  ASSERT_FALSE(outcome);

  EXPECT_EQ(outcome.error().code, ErrorCode::kUntrusted) << outcome.error().message;
  Status checked = issuer->check();
  ASSERT_FALSE(checked);

  EXPECT_EQ(checked.error().code, ErrorCode::kUntrusted) << checked.error().message;
}

TEST_F(AcmeIssuerTest, PebbleDownIsUnavailable) {
  start_pebble();
  OnlineCaSettings s = settings();
  pebble_.stop();
  auto issuer = make_issuer(s);
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, {KeyType::kEc, 256});
  auto started = std::chrono::steady_clock::now();
  auto outcome = issuer->issue(phone.request);
  ASSERT_FALSE(outcome);

  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable) << outcome.error().message;
  EXPECT_NE(outcome.error().message.find(s.url), std::string::npos) << outcome.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(AcmeIssuerTest, RequestForAnotherNameIsRejectedWithPebblesOwnWords) {
  start_pebble();
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Phone phone =
      make_phone(*issuer, {KeyType::kEc, 256}, kDevice, std::vector<std::string>{"other.test"});
  auto outcome = issuer->issue(phone.request);
  ASSERT_FALSE(outcome);

  EXPECT_EQ(outcome.error().code, ErrorCode::kPermissionDenied) << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("acme urn:ietf:params:acme:error:unauthorized: "),
            std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("sep001122334455.phones.test"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("finalize"), std::string::npos) << outcome.error().message;
}

TEST_F(AcmeIssuerTest, CertificateFromAnotherCaThanConfiguredIsRejected) {
  start_pebble();
  OnlineCaSettings s = settings();
  TempDir other;
  auto [status, output] = testing::run_shell(
      "cd '" + other.path().string() +
      "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
      "-out ca.pem -days 30 -subj '/CN=Another LSC CA' -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign,cRLSign");
  ASSERT_EQ(status, 0) << output;
  auto other_ca = pki::Certificate::from_pem(to_string(other.read("ca.pem")));
  ASSERT_TRUE(other_ca);
  s.ca_chain = {*other_ca};
  auto issuer = make_issuer(s);
  ASSERT_TRUE(issuer);
  Phone phone = make_phone(*issuer, {KeyType::kEc, 256});
  auto outcome = issuer->issue(phone.request);
  ASSERT_FALSE(outcome);

  EXPECT_EQ(outcome.error().code, ErrorCode::kPermissionDenied) << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("does not chain to the configured CA chain"),
            std::string::npos)
      << outcome.error().message;
}

TEST_F(AcmeIssuerTest, CheckFetchesTheDirectoryAndRegistersTheAccount) {
  start_pebble();
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  EXPECT_EQ(issuer->account_url(), "");
  Status checked = issuer->check();
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_NE(issuer->account_url(), "");
  ASSERT_TRUE(issuer->check());  // cached: the same account
  EXPECT_TRUE(std::filesystem::exists(dir_ / "acme-account.pem"));
}

TEST_F(AcmeIssuerTest, OrderStillProcessingIsPendingAndRetrievedLater) {
  start_pebble();
  OnlineCaSettings s = settings();
  AcmePolling polling = AcmePolling::for_settings(s);
  polling.order_wait = std::chrono::milliseconds(0);  // pebble answers finalize with processing
  auto issuer = AcmeIssuer::create(s, clock_, polling);
  ASSERT_TRUE(issuer) << issuer.error().message;
  Phone phone = make_phone(**issuer, {KeyType::kEc, 384});
  auto outcome = (*issuer)->issue(phone.request);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_TRUE(std::holds_alternative<PendingIssue>(*outcome));
  const PendingIssue& pending = std::get<PendingIssue>(*outcome);
  EXPECT_EQ(pending.ticket.rfind("https://127.0.0.1:" + std::to_string(pebble_.port()) + "/", 0),
            0u)
      << pending.ticket;
  EXPECT_NE(pending.detail.find("processing"), std::string::npos) << pending.detail;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<Issued> issued;
  while (!issued && std::chrono::steady_clock::now() < deadline) {
    auto later = (*issuer)->retrieve(pending.ticket);
    ASSERT_TRUE(later) << later.error().message;
    if (const auto* done = std::get_if<Issued>(&*later))
      issued = *done;
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(issued) << "the order never became valid";
  expect_good_lsc(*issued, phone, **issuer);

  // The ticket binds the phone's key: the same order under another key's fingerprint is refused.
  std::string ticket =
      pending.ticket.substr(0, pending.ticket.rfind('#')) + "#spki-sha256=" + std::string(64, '0');
  auto foreign = (*issuer)->retrieve(ticket);
  ASSERT_FALSE(foreign);

  EXPECT_EQ(foreign.error().code, ErrorCode::kPermissionDenied) << foreign.error().message;
}

TEST_F(AcmeIssuerTest, RegistersAgainWhenTheCaForgotTheAccountAndItsNonces) {
  start_pebble();
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  Phone first = make_phone(*issuer, {KeyType::kEc, 256});
  ASSERT_TRUE(issuer->issue(first.request));  // caches the account and pools a nonce
  std::string account = issuer->account_url();

  std::string failure = pebble_.restart();  // same ports, no accounts, no nonces, a new root
  ASSERT_EQ(failure, "") << failure;
  Status checked = issuer->check();
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_NE(issuer->account_url(), "");
  EXPECT_NE(issuer->account_url(), account);  // a new account (pebble ids are random)

  // The issuer still trusts the old root, so the certificate is refused, and only that.
  Phone second = make_phone(*issuer, {KeyType::kEc, 256});
  auto outcome = issuer->issue(second.request);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kPermissionDenied) << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("does not chain"), std::string::npos)
      << outcome.error().message;
}

TEST_F(AcmeIssuerTest, RetrieveRefusesATicketItDidNotMake) {
  start_pebble();
  auto issuer = make_issuer(settings());
  ASSERT_TRUE(issuer);
  auto outcome = issuer->retrieve("https://127.0.0.1:1/my-order/x");
  ASSERT_FALSE(outcome);

  EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument) << outcome.error().message;
}

}  // namespace
}  // namespace capf
