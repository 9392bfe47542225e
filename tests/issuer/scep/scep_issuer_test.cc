// ScepIssuer against a real SCEP CA: micromdm's scepserver (Debian package `scep`). scepserver
// listens on every interface, so ctest runs this binary inside a private network namespace
// (`unshare -n`, see CMakeLists.txt) where only loopback exists; run by hand, it refuses to start
// anywhere else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "capf/issuer/online/scep/scep_issuer.h"
#include "capf/issuer/online/scep/scep_message.h"
#include "capf/issuer/online/scep/scep_ticket.h"
#include "capf/pki/certificate.h"
#include "capf/pki/csr.h"
#include "tests/issuer/scep/scep_test_pki.h"
#include "tests/support/child_process.h"
#include "tests/support/result_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace capf {
namespace {

using pki::testing::run_shell;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

// Every network interface but "lo" (from /proc/net/dev).
std::vector<std::string> other_interfaces() {
  std::ifstream in("/proc/net/dev");
  std::vector<std::string> names;
  std::string line;
  for (int n = 0; std::getline(in, line); ++n) {
    auto colon = line.find(':');
    if (n < 2 || colon == std::string::npos)
      continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != "lo")
      names.push_back(name);
  }
  return names;
}

// A scepserver with its own CA depot on a free port of 127.0.0.1.
class ScepServer {
 public:
  // `extra` is added to the command line (e.g. -csrverifierexec PATH).
  ::testing::AssertionResult start(const std::vector<std::string>& extra = {}) {
    auto init = run_shell("scepserver ca -init -depot " + depot() +
                          " -keySize 2048 -organization 'Test SCEP CA' -country US");
    if (init.exit_code != 0)
      return ::testing::AssertionFailure() << "scepserver ca -init failed: " << init.output;
    port_ = testing::free_loopback_port();
    std::vector<std::string> argv{
        "scepserver", "-depot", depot(),       "-port", std::to_string(port_),
        "-challenge", "s3cret", "-allowrenew", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!process_.start(argv, dir_ / "scepserver.log"))
      return ::testing::AssertionFailure() << "cannot start scepserver";
    if (!process_.wait_for_port(port_))
      return ::testing::AssertionFailure() << "scepserver did not listen: " << log();
    return ::testing::AssertionSuccess();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/scep"; }
  std::string depot() const { return dir_.file("depot"); }
  std::string ca_pem_path() const { return dir_.file("depot/ca.pem"); }
  pki::Certificate ca() const {
    std::ifstream in(ca_pem_path());
    std::stringstream text;
    text << in.rdbuf();
    auto cert = pki::Certificate::from_pem(text.str());
    EXPECT_TRUE(cert) << "no ca.pem in the depot";
    return *cert;
  }
  std::string log() const { return process_.log_text(); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  testing::ChildProcess process_;
  std::uint16_t port_ = 0;
};

class ScepIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(other_interfaces(), ::testing::IsEmpty())
        << "scepserver listens on every interface: run this binary in a private network "
           "namespace (ctest does: unshare -n sh -c 'ip link set lo up && exec ...')";
  }

  OnlineCaSettings settings_for(const ScepServer& server) {
    OnlineCaSettings s;
    s.protocol = "scep";
    s.url = server.url();
    s.ca_chain = {server.ca()};
    s.secret = "s3cret";
    s.http.retries = 0;
    s.http.connect_timeout = std::chrono::seconds(5);
    s.http.timeout = std::chrono::seconds(15);
    return s;
  }

  std::unique_ptr<ScepIssuer> make(OnlineCaSettings settings) {
    auto issuer = ScepIssuer::create(std::move(settings), clock_);
    EXPECT_TRUE(issuer) << issuer.error().message;
    return issuer ? std::move(*issuer) : nullptr;
  }

  // What the enrollment service would hand the issuer: the phone's key and the PKCS#10 the phone
  // signed after asking the issuer for its request template.
  IssueRequest phone_request(const ScepIssuer& issuer, const pki::PrivateKey& key,
                             const std::string& device) {
    RequestTemplate tmpl = issuer.request_template(device);
    pki::RequestInfoOptions options;
    options.challenge_password = tmpl.challenge_password;
    auto info = pki::build_request_info("CN=" + tmpl.common_name, key.spki_der(), options);
    EXPECT_TRUE(info) << info.error().message;
    auto signature = key.sign(pki::Hash::kSha256, *info);
    auto csr = pki::assemble_csr(*info, pki::Hash::kSha256, *signature);
    EXPECT_TRUE(csr) << csr.error().message;
    return IssueRequest{device, key.spki_der(), key.spec(), *csr, "test"};
  }

  // Issues for a fresh phone key of `spec` and checks the certificate with the openssl CLI.
  void expect_issued_and_verified(KeySpec spec, const std::string& device) {
    ScepServer server;
    ASSERT_TRUE(server.start());
    auto issuer = make(settings_for(server));
    ASSERT_TRUE(issuer);
    ASSERT_TRUE(issuer->supports(spec));
    const pki::PrivateKey& key = pki::testing::test_key(spec, 7);
    auto outcome = issuer->issue(phone_request(*issuer, key, device));
    ASSERT_TRUE(outcome) << outcome.error().message << "\n" << server.log();
    ASSERT_TRUE(std::holds_alternative<Issued>(*outcome));
    const Issued& issued = std::get<Issued>(*outcome);
    EXPECT_EQ(issued.certificate.common_name(), device);
    EXPECT_EQ(issued.certificate.spki_der(), key.spki_der());
    EXPECT_EQ(issued.chain, std::vector<pki::Certificate>{server.ca()});

    const TempDir& dir = server.dir();
    std::string cert = dir.write("issued.pem", issued.certificate.pem());
    auto verify = run_shell("openssl verify -CAfile " + server.ca_pem_path() + " " + cert);
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr(": OK"));
    std::string key_file = dir.write("phone.key", *key.to_pem());
    auto cert_key = run_shell("openssl x509 -in " + cert + " -noout -pubkey");
    auto phone_key = run_shell("openssl pkey -in " + key_file + " -pubout");
    EXPECT_EQ(cert_key.exit_code, 0);
    EXPECT_EQ(cert_key.output, phone_key.output) << "the certificate is not for the phone's key";
    // The CA recorded it under the device's CN.
    auto index = run_shell("cat " + server.depot() + "/index.txt");
    EXPECT_THAT(index.output, HasSubstr("CN=" + device));
  }

  // The real clock: scepserver stamps notBefore with its own "now" (no backdating), so a clock
  // fixed before the request would see the new certificate as not yet valid.
  SystemClock clock_;
};

TEST_F(ScepIssuerTest, IssuesRsa2048VerifiedByOpenssl) {
  expect_issued_and_verified({KeyType::kRsa, 2048}, "SEP001122334455");
}

TEST_F(ScepIssuerTest, IssuesRsa3072VerifiedByOpenssl) {
  expect_issued_and_verified({KeyType::kRsa, 3072}, "SEP00AABBCCDDEE");
}

TEST_F(ScepIssuerTest, WrongOrMissingChallengeIsRefusedWithBadRequest) {
  ScepServer server;
  ASSERT_TRUE(server.start());
  for (std::optional<std::string> secret :
       {std::optional<std::string>("wrong"), std::optional<std::string>()}) {
    OnlineCaSettings s = settings_for(server);
    s.secret = secret;
    auto issuer = make(s);
    ASSERT_TRUE(issuer);
    auto outcome =
        issuer->issue(phone_request(*issuer, pki::testing::rsa_key(1), "SEP001122334455"));
    EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied,
                                   ::testing::AllOf(HasSubstr("scep failure: badRequest (2)"),
                                                    HasSubstr("challenge password"))))
        << "issued with challenge " << secret.value_or("(none)");
  }
  EXPECT_THAT(server.log(), HasSubstr("invalid challenge"));
}

TEST_F(ScepIssuerTest, AStoredRequestHoldsNoChallengeAndIsStillIssued) {
  // What the request queue keeps, resent after the CA was unreachable: the issuer puts the
  // configured challenge back, and the CA (which checks it) issues.
  ScepServer server;
  ASSERT_TRUE(server.start());
  auto issuer = make(settings_for(server));
  ASSERT_TRUE(issuer);
  const pki::PrivateKey& key = pki::testing::rsa_key(4);
  IssueRequest request = phone_request(*issuer, key, "SEP0000000000AB");
  auto stored = issuer->stored_request(*request.csr_der);
  ASSERT_TRUE(stored) << stored.error().message;
  const std::string pem = pki::pem_encode("CERTIFICATE REQUEST", *stored);
  EXPECT_EQ(std::string(stored->begin(), stored->end()).find("s3cret"), std::string::npos);
  auto text = run_shell("openssl req -noout -text -in " + server.dir().write("stored.csr", pem));
  EXPECT_THAT(text.output, Not(HasSubstr("s3cret")));
  EXPECT_THAT(text.output, HasSubstr("challengePassword"));

  request.csr_der = *stored;
  auto outcome = issuer->issue(request);
  ASSERT_TRUE(outcome) << outcome.error().message << "\n" << server.log();
  ASSERT_TRUE(std::holds_alternative<Issued>(*outcome));
  EXPECT_EQ(std::get<Issued>(*outcome).certificate.spki_der(), key.spki_der());

  // The challenge changed since the phone signed: refused here, with nothing sent to the CA.
  OnlineCaSettings changed = settings_for(server);
  changed.secret = "a-longer-secret";
  auto other = make(changed);
  ASSERT_TRUE(other);
  request.device_name = "SEP0000000000AC";
  outcome = other->issue(request);
  EXPECT_THAT(outcome,
              FailsWith(ErrorCode::kInvalidArgument, HasSubstr("challenge password changed")));
  EXPECT_THAT(run_shell("cat " + server.depot() + "/index.txt").output, Not(HasSubstr("0000AC")));
}

TEST_F(ScepIssuerTest, EcRequestForcedThroughIsRefusedByTheCa) {
  ScepServer server;
  ASSERT_TRUE(server.start());
  auto issuer = make(settings_for(server));
  ASSERT_TRUE(issuer);
  KeySpec ec{KeyType::kEc, 256};
  EXPECT_FALSE(issuer->supports(ec));
  auto outcome =
      issuer->issue(phone_request(*issuer, pki::testing::test_key(ec, 7), "SEP0000000000EC"));
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied,
                                 ::testing::AllOf(HasSubstr("scep failure: badRequest (2)"),
                                                  HasSubstr("SEP0000000000EC"))));
}

TEST_F(ScepIssuerTest, CsrVerifierRefusalIsPermissionDenied) {
  ScepServer server;
  std::string script = server.dir().write("refuse.sh", "#!/bin/sh\ncat >/dev/null\nexit 1\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  ASSERT_TRUE(server.start({"-csrverifierexec", script}));
  auto issuer = make(settings_for(server));
  ASSERT_TRUE(issuer);
  auto outcome = issuer->issue(phone_request(*issuer, pki::testing::rsa_key(1), "SEP001122334455"));
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("badRequest (2)")));
}

TEST_F(ScepIssuerTest, ServerDownIsUnavailable) {
  ScepServer server;
  ASSERT_TRUE(server.start());
  OnlineCaSettings s = settings_for(server);
  s.url = "http://127.0.0.1:" + std::to_string(testing::free_loopback_port()) + "/scep";
  auto issuer = make(s);
  ASSERT_TRUE(issuer);
  auto outcome = issuer->issue(phone_request(*issuer, pki::testing::rsa_key(1), "SEP001122334455"));
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kUnavailable, HasSubstr(s.url)));
  Status check = issuer->check();
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kUnavailable);
}

TEST_F(ScepIssuerTest, AnotherCaChainIsRefusedBeforeAnythingIsSent) {
  ScepServer server;
  ASSERT_TRUE(server.start());
  auto other = testing::scep_pki::make_ca("Other CA");
  OnlineCaSettings s = settings_for(server);
  s.ca_chain = {other.certificate};
  auto issuer = make(s);
  ASSERT_TRUE(issuer);
  auto outcome = issuer->issue(phone_request(*issuer, pki::testing::rsa_key(1), "SEP001122334455"));
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("Other CA")));
  // The challenge never reached the CA: it issued nothing and saw no request.
  const std::filesystem::path index = server.depot() + "/index.txt";
  EXPECT_TRUE(!std::filesystem::exists(index) || std::filesystem::file_size(index) == 0);

  Status check = issuer->check();
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(check.error().message, HasSubstr(server.ca().fingerprint_sha256()));
  EXPECT_THAT(check.error().message, HasSubstr(other.certificate.fingerprint_sha256()));
  EXPECT_THAT(check.error().message, HasSubstr("Test SCEP CA"));
  EXPECT_THAT(check.error().message, HasSubstr("set the issuer's CA chain"));
}

TEST_F(ScepIssuerTest, CheckPassesWithTheRightChain) {
  ScepServer server;
  ASSERT_TRUE(server.start());
  auto issuer = make(settings_for(server));
  ASSERT_TRUE(issuer);
  Status check = issuer->check();
  EXPECT_TRUE(check) << check.error().message;
}

TEST_F(ScepIssuerTest, TwoConcurrentRequestsAreBothIssued) {
  ScepServer server;
  ASSERT_TRUE(server.start());
  auto issuer = make(settings_for(server));
  ASSERT_TRUE(issuer);
  const std::string devices[2] = {"SEP000000000001", "SEP000000000002"};
  IssueRequest requests[2] = {
      phone_request(*issuer, pki::testing::rsa_key(2), devices[0]),
      phone_request(*issuer, pki::testing::rsa_key(3), devices[1]),
  };
  std::optional<Result<IssueOutcome>> outcomes[2];
  {
    std::jthread a([&] { outcomes[0] = issuer->issue(requests[0]); });
    std::jthread b([&] { outcomes[1] = issuer->issue(requests[1]); });
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(outcomes[i] && *outcomes[i]) << outcomes[i]->error().message << server.log();
    ASSERT_TRUE(std::holds_alternative<Issued>(**outcomes[i]));
    const Issued& issued = std::get<Issued>(**outcomes[i]);
    EXPECT_EQ(issued.certificate.common_name(), devices[i]);
    EXPECT_EQ(issued.certificate.spki_der(), requests[i].spki_der);
  }
}

TEST_F(ScepIssuerTest, PollingACaWithoutCertPollQuotesItsHttpRefusal) {
  // scepserver never answers PENDING and does not implement CertPoll: a poll reaches it, is
  // signed and encrypted correctly, and is refused with HTTP 500, which must surface as the CA
  // rejecting the request with its own words.
  ScepServer server;
  ASSERT_TRUE(server.start());
  auto issuer = make(settings_for(server));
  ASSERT_TRUE(issuer);
  const pki::PrivateKey& key = pki::testing::rsa_key(1);
  IssueRequest request = phone_request(*issuer, key, "SEP001122334455");
  auto subject = scep::csr_subject_der(*request.csr_der);
  ASSERT_TRUE(subject);
  auto requester = scep::make_requester(*subject, clock_);
  ASSERT_TRUE(requester);
  scep::PollTicket ticket{server.url(),
                          scep::transaction_id_for(key.spki_der()),
                          "SEP001122334455",
                          key.spki_der(),
                          key.spec(),
                          requester->certificate.pem(),
                          *requester->key.to_pem(),
                          scep::certificate_subject_der(server.ca()),
                          *subject};
  auto outcome = issuer->retrieve(scep::encode_ticket(ticket));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kPermissionDenied) << outcome.error().message;
  EXPECT_THAT(outcome.error().message, HasSubstr("http 500"));
  EXPECT_THAT(outcome.error().message, HasSubstr("CertPoll"));
}

}  // namespace
}  // namespace capf
