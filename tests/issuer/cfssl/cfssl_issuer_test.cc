// CfsslIssuer against a real `cfssl serve` on 127.0.0.1, with a CA made at run time by
// `cfssl gencert -initca` and a config with an HMAC-protected profile.
#include "capf/issuer/online/cfssl/cfssl_issuer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "tests/issuer/online/online_test_util.h"
#include "tests/issuer/online/raw_http_server.h"
#include "tests/support/child_process.h"
#include "tests/support/result_matchers.h"

namespace capf {
namespace {

using ::testing::AllOf;
using testing::CannedResponse;
using testing::ChildProcess;
using ::testing::HasSubstr;
using testing::quote;
using testing::RawHttpServer;
using testing::RecordedRequest;
using testing::run_shell;
using testing::TempDir;

constexpr std::string_view kAuthKey = "0123456789ABCDEF0123456789ABCDEF";
constexpr std::string_view kCaCsr =
    R"({"CN":"Test CFSSL Online CA","key":{"algo":"rsa","size":2048},)"
    R"("names":[{"C":"US","O":"CAPF test"}]})";
constexpr std::string_view kConfig = R"({"signing":{
  "default":{"expiry":"8760h","usages":["signing","key encipherment","client auth"]},
  "profiles":{
    "phone":{"expiry":"43800h","usages":["digital signature","key encipherment","client auth",
             "server auth"],"auth_key":"k1"},
    "short":{"expiry":"1h","usages":["digital signature","client auth"]}}},
  "auth_keys":{"k1":{"type":"standard","key":"0123456789ABCDEF0123456789ABCDEF"}}})";

// `cfssl gencert -initca` in `dir`: <name>.pem and <name>-key.pem.
Result<pki::Certificate> make_cfssl_ca(const TempDir& dir, const std::string& name) {
  dir.write("ca-csr.json", kCaCsr);
  auto made =
      run_shell(fmt::format("cd {} && cfssl gencert -initca ca-csr.json 2>gencert.log | "
                            "cfssljson -bare {}",
                            quote(dir.path().string()), name));
  auto certs = testing::read_certificates(dir.file(name + ".pem"));
  if (made.exit_code != 0 || !certs)
    return make_error(ErrorCode::kInternal, "cfssl gencert failed: {}", made.output);
  return certs->front();
}

// One `cfssl serve` on a free loopback port, over HTTP or (given a certificate) HTTPS.
class CfsslServer {
 public:
  bool start(const TempDir& dir, const std::string& ca_name, const std::string& tls_cert = {},
             const std::string& tls_key = {}) {
    port_ = testing::free_loopback_port();
    std::vector<std::string> argv = {"cfssl",    "serve",
                                     "-address", "127.0.0.1",
                                     "-port",    std::to_string(port_),
                                     "-ca",      dir.file(ca_name + ".pem"),
                                     "-ca-key",  dir.file(ca_name + "-key.pem"),
                                     "-config",  dir.write("config.json", kConfig)};
    if (!tls_cert.empty())
      argv.insert(argv.end(), {"-tls-cert", tls_cert, "-tls-key", tls_key});
    return process_.start(argv, dir / fmt::format("cfssl-{}.log", port_)) &&
           process_.wait_for_port(port_);
  }
  std::string url(std::string_view scheme = "http", std::string_view host = "127.0.0.1") const {
    return fmt::format("{}://{}:{}", scheme, host, port_);
  }
  std::string log() const { return process_.log_text(); }

 private:
  ChildProcess process_;
  std::uint16_t port_ = 0;
};

// The CA, a second CA with the same name (a re-created CA), an unrelated CA and the cfssl server,
// shared by the tests of one binary.
struct World {
  TempDir dir;
  Result<pki::Certificate> ca = make_cfssl_ca(dir, "ca");
  Result<pki::Certificate> recreated_ca = make_cfssl_ca(dir, "recreated-ca");
  Result<testing::TlsTestPki> tls = testing::make_tls_test_pki(dir);
  CfsslServer server;
  bool running = ca && server.start(dir, "ca");
};

// A CA chain for tests that never reach a real cfssl (made once per binary).
const std::vector<pki::Certificate>& some_chain() {
  static TempDir dir;
  static const std::vector<pki::Certificate> chain = [] {
    auto tls = testing::make_tls_test_pki(dir);
    auto certs = tls ? testing::read_certificates(tls->ca_pem) : tls.error();
    if (!certs)
      ADD_FAILURE() << certs.error().message;
    return certs ? *certs : std::vector<pki::Certificate>{};
  }();
  return chain;
}

OnlineCaSettings base_settings(std::string url, std::vector<pki::Certificate> chain) {
  OnlineCaSettings settings;
  settings.protocol = "cfssl";
  settings.url = std::move(url);
  settings.ca_chain = std::move(chain);
  settings.http.connect_timeout = std::chrono::seconds(5);
  settings.http.timeout = std::chrono::seconds(10);
  settings.http.retries = 0;
  return settings;
}

std::unique_ptr<CfsslIssuer> make_issuer(OnlineCaSettings settings, const Clock& clock) {
  auto issuer = CfsslIssuer::create(std::move(settings), clock);
  EXPECT_TRUE(issuer) << issuer.error().message;
  return issuer ? std::move(issuer).value() : nullptr;
}

IssueRequest request_for(const pki::PrivateKey& key) {
  auto request = testing::phone_request(key);
  EXPECT_TRUE(request) << request.error().message;
  return request ? std::move(request).value() : IssueRequest{};
}

class CfsslIssuerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = new World; }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(world_->ca) << world_->ca.error().message;
    ASSERT_TRUE(world_->recreated_ca) << world_->recreated_ca.error().message;
    ASSERT_TRUE(world_->tls) << world_->tls.error().message;
    ASSERT_TRUE(world_->running) << world_->server.log();
  }

  OnlineCaSettings settings(std::string profile, std::optional<std::string> secret = {}) const {
    OnlineCaSettings s = base_settings(world_->server.url(), {*world_->ca});
    s.profile = std::move(profile);
    s.secret = std::move(secret);
    return s;
  }
  Result<IssueOutcome> issue(OnlineCaSettings s, const pki::PrivateKey& key) {
    auto issuer = make_issuer(std::move(s), clock_);
    if (!issuer)
      return make_error(ErrorCode::kInternal, "no issuer");
    return issuer->issue(request_for(key));
  }
  Status check(OnlineCaSettings s) {
    auto issuer = make_issuer(std::move(s), clock_);
    if (!issuer)
      return make_error(ErrorCode::kInternal, "no issuer");
    return issuer->check();
  }
  // Writes the certificate and checks it with `openssl verify` against the cfssl CA and against the
  // phone's own key; returns `openssl x509 -text`.
  std::string verify_with_openssl(const pki::Certificate& cert, const pki::PrivateKey& key) {
    TempDir dir;
    std::string leaf = dir.write("leaf.pem", cert.pem());
    auto verify = run_shell(fmt::format("openssl verify -CAfile {} {}",
                                        quote(world_->dir.file("ca.pem")), quote(leaf)));
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr(": OK"));
    std::string key_file = dir.write("key.pem", *key.to_pem());
    auto from_cert = run_shell(fmt::format("openssl x509 -in {} -noout -pubkey", quote(leaf)));
    auto from_key = run_shell(fmt::format("openssl pkey -in {} -pubout", quote(key_file)));
    EXPECT_EQ(from_cert.output, from_key.output) << "the certificate is for another key";
    return run_shell(fmt::format("openssl x509 -in {} -noout -text", quote(leaf))).output;
  }

  static World* world_;
  FakeClock clock_{std::chrono::system_clock::now()};
};
World* CfsslIssuerTest::world_ = nullptr;

TEST_F(CfsslIssuerTest, IssuesRsaAndEcKeysThatOpensslVerifies) {
  for (KeySpec spec :
       {KeySpec{KeyType::kRsa, 2048}, KeySpec{KeyType::kEc, 256}, KeySpec{KeyType::kEc, 384}}) {
    SCOPED_TRACE(to_string(spec));
    const pki::PrivateKey& key = pki::testing::test_key(spec);
    auto outcome = issue(settings("short"), key);
    ASSERT_TRUE(outcome) << outcome.error().message << "\n" << world_->server.log();
    ASSERT_TRUE(std::holds_alternative<Issued>(*outcome));
    const Issued& issued = std::get<Issued>(*outcome);
    EXPECT_EQ(issued.certificate.spki_der(), key.spki_der());
    EXPECT_EQ(issued.certificate.common_name(), "SEP001122334455");
    EXPECT_EQ(issued.certificate.issuer(), world_->ca->subject());
    ASSERT_EQ(issued.chain.size(), 1u);
    EXPECT_EQ(issued.chain.front(), *world_->ca);
    verify_with_openssl(issued.certificate, key);
  }
}

TEST_F(CfsslIssuerTest, AuthsignWithTheProfileKeyIssuesUnderThatProfile) {
  const pki::PrivateKey& key = pki::testing::ec_key();
  // As read from a secret file: lower case, with a newline.
  auto outcome = issue(settings("phone", "0123456789abcdef0123456789abcdef\n"), key);
  ASSERT_TRUE(outcome) << outcome.error().message << "\n" << world_->server.log();
  const Issued& issued = std::get<Issued>(*outcome);
  std::string text = verify_with_openssl(issued.certificate, key);
  EXPECT_THAT(text, HasSubstr("TLS Web Server Authentication")) << "the phone profile's usages";
  EXPECT_GT(issued.certificate.not_after() - clock_.now(), std::chrono::hours(24 * 365 * 4));
}

TEST_F(CfsslIssuerTest, AWrongHmacKeyIsRefusedInCfsslsWords) {
  auto outcome =
      issue(settings("phone", "00112233445566778899AABBCCDDEEFF"), pki::testing::ec_key());
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied,
                                 AllOf(HasSubstr("cfssl refused the request: 400 invalid token"),
                                       HasSubstr("set the issuer secret"))));
}

TEST_F(CfsslIssuerTest, NoKeyForAProfileThatNeedsOneIsRefused) {
  auto outcome = issue(settings("phone"), pki::testing::ec_key());
  EXPECT_THAT(outcome,
              FailsWith(ErrorCode::kPermissionDenied,
                        AllOf(HasSubstr("cfssl refused the request: 400 authentication required"),
                              HasSubstr("profile \"phone\" has an auth_key"))));
}

TEST_F(CfsslIssuerTest, AKeyForAProfileWithoutOneIsRefused) {
  auto outcome = issue(settings("short", std::string(kAuthKey)), pki::testing::ec_key());
  EXPECT_THAT(outcome,
              FailsWith(ErrorCode::kPermissionDenied, HasSubstr("no authentication provider")));
}

TEST_F(CfsslIssuerTest, ACertificateFromAnotherCaIsRefused) {
  auto other = testing::read_certificates(world_->tls->other_ca_pem);
  ASSERT_TRUE(other);
  OnlineCaSettings s = settings("short");
  s.ca_chain = *other;
  auto outcome = issue(s, pki::testing::ec_key());
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied,
                                 HasSubstr("does not chain to the configured CA chain")));
}

TEST_F(CfsslIssuerTest, ACertificateNotValidOnCapfsClockIsRefused) {
  clock_.advance(std::chrono::hours(2));  // past the 1 h of the "short" profile
  auto outcome = issue(settings("short"), pki::testing::ec_key());
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("expired")));
}

TEST_F(CfsslIssuerTest, RefusesBeforeCallingCfsslWhatItCannotSend) {
  auto issuer = make_issuer(settings("short"), clock_);
  ASSERT_TRUE(issuer);
  IssueRequest no_csr = request_for(pki::testing::ec_key());
  no_csr.csr_der.reset();
  auto missing = issuer->issue(no_csr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);

  IssueRequest swapped = request_for(pki::testing::ec_key());
  swapped.spki_der = pki::testing::ec_key(1).spki_der();
  auto other_key = issuer->issue(swapped);
  EXPECT_THAT(other_key, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("another key")));

  IssueRequest big = request_for(pki::testing::test_key({KeyType::kEc, 521}));
  auto unsupported = issuer->issue(big);
  EXPECT_THAT(unsupported, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("ec:p521")));
}

TEST_F(CfsslIssuerTest, CheckPassesWithTheSigningCaAndFittingCredentials) {
  Status plain = check(settings("short"));
  EXPECT_TRUE(plain) << plain.error().message;
  Status with_key = check(settings("phone", std::string(kAuthKey)));
  EXPECT_TRUE(with_key) << with_key.error().message;
  Status default_profile = check(settings(""));
  EXPECT_TRUE(default_profile) << default_profile.error().message;
}

TEST_F(CfsslIssuerTest, CheckNamesTheCaCfsslSignsWithWhenItIsNotTheConfiguredOne) {
  auto other = testing::read_certificates(world_->tls->other_ca_pem);
  ASSERT_TRUE(other);
  OnlineCaSettings s = settings("short");
  s.ca_chain = *other;
  Status status = check(s);
  EXPECT_THAT(status, FailsWith(ErrorCode::kInvalidArgument,
                                AllOf(HasSubstr("cfssl signs with \""),
                                      HasSubstr("CN=Test CFSSL Online CA"),
                                      HasSubstr("starts with \"CN=unrelated test CA\""),
                                      HasSubstr(world_->ca->fingerprint_sha256()))));

  s.ca_chain = {*world_->recreated_ca};  // same name, another key
  Status recreated = check(s);
  EXPECT_THAT(recreated, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("re-created")));
}

TEST_F(CfsslIssuerTest, CheckRefusesCredentialsThatDoNotFitTheProfile) {
  Status wrong_key = check(settings("phone", "00112233445566778899AABBCCDDEEFF"));
  EXPECT_THAT(wrong_key, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("invalid token")));

  Status no_key = check(settings("phone"));
  EXPECT_THAT(no_key,
              FailsWith(ErrorCode::kPermissionDenied, HasSubstr("authentication required")));
}

TEST_F(CfsslIssuerTest, CheckRefusesAProfileCfsslDoesNotKnow) {
  Status unknown = check(settings("phnoe"));
  EXPECT_THAT(unknown, FailsWith(ErrorCode::kInvalidArgument, AllOf(HasSubstr("profile \"phnoe\""),
                                                                    HasSubstr("default profile"))));

  Status unknown_with_key = check(settings("phnoe", std::string(kAuthKey)));
  EXPECT_THAT(unknown_with_key,
              FailsWith(ErrorCode::kPermissionDenied, HasSubstr("no authentication provider")));
}

TEST_F(CfsslIssuerTest, IssuesOverHttpsTrustedThroughCapfTrust) {
  const testing::TlsTestPki& tls = *world_->tls;
  CfsslServer https;
  ASSERT_TRUE(https.start(world_->dir, "ca", tls.server_pem, tls.server_key)) << https.log();
  auto tls_ca = testing::read_certificates(tls.ca_pem);
  ASSERT_TRUE(tls_ca);

  OnlineCaSettings s = base_settings(https.url("https", "localhost"), {*world_->ca});
  s.profile = "phone";
  s.secret = std::string(kAuthKey);
  s.http.trust = *tls_ca;
  auto outcome = issue(s, pki::testing::rsa_key());
  ASSERT_TRUE(outcome) << outcome.error().message << "\n" << https.log();
  EXPECT_EQ(std::get<Issued>(*outcome).certificate.spki_der(), pki::testing::rsa_key().spki_der());
  Status checked = check(s);
  EXPECT_TRUE(checked) << checked.error().message;

  s.http.trust.clear();
  auto untrusted = issue(s, pki::testing::rsa_key());
  EXPECT_THAT(untrusted, FailsWith(ErrorCode::kUntrusted, HasSubstr("capf-trust")));
}

TEST(CfsslIssuer, ACfsslThatIsDownIsUnavailable) {
  FakeClock clock(std::chrono::system_clock::now());
  const std::string url = fmt::format("http://127.0.0.1:{}", testing::free_loopback_port());
  const auto& chain = some_chain();
  ASSERT_FALSE(chain.empty());
  auto issuer = make_issuer(base_settings(url, chain), clock);
  ASSERT_TRUE(issuer);
  auto outcome = issuer->issue(request_for(pki::testing::ec_key()));
  EXPECT_THAT(outcome, FailsWith(ErrorCode::kUnavailable, HasSubstr(url + "/api/v1/cfssl/sign")));
  Status status = issuer->check();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
}

TEST(CfsslIssuer, AServerThatDoesNotSpeakCfsslIsACommunicationFailure) {
  FakeClock clock(std::chrono::system_clock::now());
  const auto& chain = some_chain();
  ASSERT_FALSE(chain.empty());
  struct Case {
    CannedResponse answer;
    ErrorCode code;
    std::string words;
  };
  const Case cases[] = {
      {{404, "Not Found", {}, "404 page not found"}, ErrorCode::kUnavailable, "not its API"},
      {{200, "OK", {{"Content-Type", "text/html"}}, "<html>IIS</html>"},
       ErrorCode::kUnavailable,
       "not its API"},
      {{200, "OK", {}, R"({"success":true,"result":{},"errors":[]})"},
       ErrorCode::kUnavailable,
       "success without a certificate"},
      {{200, "OK", {}, R"({"success":true,"result":{"certificate":"garbage"}})"},
       ErrorCode::kUnavailable,
       "does not parse"},
      {{401, "Unauthorized", {}, "proxy says no"}, ErrorCode::kPermissionDenied, "HTTP 401"},
      {{400, "Bad Request", {}, R"({"success":false,"errors":[{"code":"x","message":7}]})"},
       ErrorCode::kPermissionDenied,
       "cfssl refused the request"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answer.body);
    RawHttpServer server([&](const RecordedRequest&) { return c.answer; });
    ASSERT_TRUE(server.listening());
    auto issuer = make_issuer(base_settings(server.url(""), chain), clock);
    ASSERT_TRUE(issuer);
    auto outcome = issuer->issue(request_for(pki::testing::ec_key()));
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().code, c.code) << outcome.error().message;
    EXPECT_THAT(outcome.error().message, HasSubstr(c.words));
  }
}

TEST(CfsslIssuer, SendsThePhoneSignedRequestAsCfsslExpectsIt) {
  FakeClock clock(std::chrono::system_clock::now());
  const auto& chain = some_chain();
  ASSERT_FALSE(chain.empty());
  RawHttpServer server([](const RecordedRequest&) {
    return CannedResponse{400, "Bad Request", {}, R"({"success":false,"errors":[]})"};
  });
  ASSERT_TRUE(server.listening());
  OnlineCaSettings s = base_settings(server.url("/"), chain);  // a trailing '/' is dropped
  s.profile = "phone";
  auto issuer = make_issuer(s, clock);
  ASSERT_TRUE(issuer);
  IssueRequest request = request_for(pki::testing::ec_key());
  ASSERT_FALSE(issuer->issue(request));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/v1/cfssl/sign");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_THAT(requests[0].body,
              AllOf(HasSubstr(R"("certificate_request":"-----BEGIN CERTIFICATE REQUEST-----\n)"),
                    HasSubstr(R"("profile":"phone")")));
  // The PEM in the body is the phone's request, byte for byte.
  TempDir dir;
  std::string pem_file = dir.file("sent.csr");
  auto extracted = run_shell(fmt::format("printf '%s' {} | jq -r .certificate_request > {}",
                                         quote(requests[0].body), quote(pem_file)));
  ASSERT_EQ(extracted.exit_code, 0) << extracted.output;
  auto der = run_shell(
      fmt::format("openssl req -in {} -outform DER | od -An -tx1 | tr -d ' \\n'", quote(pem_file)));
  EXPECT_EQ(der.output, to_hex(*request.csr_der));
}

TEST(CfsslIssuer, DescribesItselfAndTheKeysItTakes) {
  FakeClock clock(std::chrono::system_clock::now());
  const auto& chain = some_chain();
  ASSERT_FALSE(chain.empty());
  OnlineCaSettings s = base_settings("http://ca.example.net:8888/", chain);
  s.profile = "phone";
  auto issuer = make_issuer(s, clock);
  ASSERT_TRUE(issuer);
  EXPECT_EQ(issuer->describe(), "online cfssl http://ca.example.net:8888 (profile phone)");
  EXPECT_EQ(issuer->mode(), IssuerMode::kOnline);
  EXPECT_TRUE(issuer->needs_signed_request());
  for (KeySpec yes :
       {KeySpec{KeyType::kRsa, 2048}, KeySpec{KeyType::kRsa, 3072}, KeySpec{KeyType::kRsa, 4096},
        KeySpec{KeyType::kEc, 256}, KeySpec{KeyType::kEc, 384}}) {
    EXPECT_TRUE(issuer->supports(yes)) << to_string(yes);
  }
  for (KeySpec no : {KeySpec{KeyType::kRsa, 1024}, KeySpec{KeyType::kEc, 521}})
    EXPECT_FALSE(issuer->supports(no)) << to_string(no);

  s.profile.clear();
  s.key_types = {KeySpec{KeyType::kRsa, 2048}};
  auto narrow = make_issuer(s, clock);
  ASSERT_TRUE(narrow);
  EXPECT_EQ(narrow->describe(), "online cfssl http://ca.example.net:8888 (profile default)");
  EXPECT_TRUE(narrow->supports({KeyType::kRsa, 2048}));
  EXPECT_FALSE(narrow->supports({KeyType::kEc, 256}));
}

TEST(CfsslIssuer, CreateRefusesSettingsItCannotUse) {
  FakeClock clock(std::chrono::system_clock::now());
  const auto& chain = some_chain();
  ASSERT_FALSE(chain.empty());

  auto ftp = CfsslIssuer::create(base_settings("ftp://ca.example.net", chain), clock);
  EXPECT_THAT(ftp, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("ftp://ca.example.net")));

  auto no_chain = CfsslIssuer::create(base_settings("http://ca.example.net", {}), clock);
  EXPECT_THAT(no_chain, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("no CA chain")));

  for (std::string secret : {"not hex at all", "", "abc"}) {
    OnlineCaSettings s = base_settings("http://ca.example.net", chain);
    s.secret = secret;
    auto bad = CfsslIssuer::create(s, clock);
    ASSERT_FALSE(bad) << secret;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(bad.error().message, HasSubstr("not a hex key"));
    if (!secret.empty()) {
      EXPECT_THAT(bad.error().message, ::testing::Not(HasSubstr(secret))) << "never print secrets";
    }
  }
}

}  // namespace
}  // namespace capf
