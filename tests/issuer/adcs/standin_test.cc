// The stand-in alone, driven by clients opencapf did not write: the curl command line (an
// independent NTLM client), openssl, and libcurl with hand-made NTLM messages to show that a
// logon belongs to its TCP connection. If the stand-in drifts from
// docs/spec/adcs-web-enrollment.md, these fail.
#include "tests/support/adcs_standin/adcs_standin.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "capf/pki/certificate.h"
#include "tests/issuer/adcs/adcs_test_util.h"
#include "tests/issuer/adcs/ntlm_client_util.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The regular expressions clients match on (docs/spec/adcs-web-enrollment.md §2 and §3), written
// out by hand because std::regex trips -Wmaybe-uninitialized inside libstdc++ under g++ 12 with the
// sanitizers. Each returns the first capture, or nullopt when the pattern does not match.
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `<prefix>(\d+)<end>`, e.g. `certnew\.cer\?ReqID=(\d+)&` or `Your Request Id is (\d+)\.`
std::optional<std::string> digits_after(std::string_view text, std::string_view prefix, char end) {
  for (std::size_t at = text.find(prefix); at != std::string_view::npos;
       at = text.find(prefix, at + 1)) {
    std::size_t start = at + prefix.size();
    std::size_t stop = start;
    while (stop < text.size() && is_digit(text[stop]))
      ++stop;
    if (stop > start && stop < text.size() && text[stop] == end)
      return std::string(text.substr(start, stop - start));
  }
  return std::nullopt;
}

// `The disposition message is "([^"]+)`
std::optional<std::string> quoted_disposition(std::string_view text) {
  constexpr std::string_view kPrefix = "The disposition message is \"";
  std::size_t at = text.find(kPrefix);
  if (at == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = text.substr(at + kPrefix.size());
  std::size_t quote = rest.find('"');
  if (quote == 0 || quote == std::string_view::npos)
    return std::nullopt;
  return std::string(rest.substr(0, quote));
}

// `<label>[^\t]+\t\t([^\r\n]+)`: greedy [^\t]+ leaves only the longest run of non-tabs.
std::optional<std::string> tab_block(std::string_view text, std::string_view label) {
  for (std::size_t at = text.find(label); at != std::string_view::npos;
       at = text.find(label, at + 1)) {
    std::size_t start = at + label.size();
    std::size_t tabs = text.find('\t', start);
    if (tabs == std::string_view::npos || tabs == start || text.substr(tabs, 2) != "\t\t")
      continue;
    std::size_t value = tabs + 2;
    std::size_t stop = text.find_first_of("\r\n", value);
    if (stop == std::string_view::npos)
      stop = text.size();
    if (stop > value)
      return std::string(text.substr(value, stop - value));
  }
  return std::nullopt;
}

// ` (0x[0-9a-fA-F]+) \(` (Certipy's error code)
std::optional<std::string> hex_code(std::string_view text) {
  for (std::size_t at = text.find(" 0x"); at != std::string_view::npos;
       at = text.find(" 0x", at + 1)) {
    std::size_t start = at + 1;
    std::size_t stop = start + 2;
    while (stop < text.size() && std::isxdigit(static_cast<unsigned char>(text[stop])))
      ++stop;
    if (stop > start + 2 && text.substr(stop, 2) == " (")
      return std::string(text.substr(start, stop - start));
  }
  return std::nullopt;
}

class StandinTest : public ::testing::Test {
 protected:
  void SetUp() override { start(StandinAuth::kNtlm); }

  void start(StandinAuth auth) {
    standin_ = start_standin(auth);
    dir_.write("ca.pem", standin_->ca_certificate().pem());
  }

  // curl with the stand-in's CA as the only trust, a deadline, and `options`.
  ShellResult curl(const std::string& options) const {
    return run_shell("curl -sS --max-time 10 --cacert " + dir_.file("ca.pem") + " " + options);
  }
  std::string ntlm_login(const std::string& password = kPassword) const {
    return "--ntlm -u '" + std::string(kUser) + ":" + password + "' ";
  }
  std::string url(const std::string& page) const { return "'" + standin_->url() + page + "'"; }

  // Writes a phone-signed CSR as PEM and returns its path.
  std::string csr_file() {
    auto phone = make_phone_request();
    return dir_.write("csr.pem", pki::pem_encode("CERTIFICATE REQUEST", *phone.request.csr_der));
  }
  // POSTs a new request for `template_name` as a browser form would; returns curl's output.
  std::string submit(const std::string& template_name, const std::string& extra = "") {
    auto page = curl(ntlm_login() + extra + " --data-urlencode Mode=newreq --data-urlencode " +
                     "CertRequest@" + csr_file() +
                     " --data-urlencode 'CertAttrib=CertificateTemplate:" + template_name +
                     "' --data 'TargetStoreFlags=0&SaveCert=yes' " + url("/certfnsh.asp"));
    EXPECT_EQ(page.exit_code, 0) << page.output;
    return page.output;
  }

  TempDir dir_;
  std::unique_ptr<AdcsStandin> standin_;
};

TEST_F(StandinTest, CurlLogsOnWithNtlmWithOrWithoutTheDomain) {
  auto home =
      curl(ntlm_login() + "-o " + dir_.file("home.html") + " -w '%{http_code}' " + url("/"));
  EXPECT_EQ(home.output, "200");
  EXPECT_THAT(to_string(dir_.read("home.html")), HasSubstr("Welcome"));
  auto bare_user = curl("--ntlm -u 'svc-capf:" + std::string(kPassword) +
                        "' -o /dev/null -w '%{http_code}' " + url("/"));
  EXPECT_EQ(bare_user.output, "200");
  StandinStats stats = standin_->stats();
  EXPECT_EQ(stats.ntlm_challenges, 2);
  EXPECT_EQ(stats.ntlm_logons, 2);
  EXPECT_EQ(stats.refused_logons, 0);
  EXPECT_EQ(stats.home_pages, 2);
}

TEST_F(StandinTest, CurlWithTheWrongPasswordGetsIis401) {
  auto refused = curl(ntlm_login("wrong") + "-D - " + url("/"));
  EXPECT_THAT(refused.output, HasSubstr("HTTP/1.1 401 Unauthorized"));
  EXPECT_THAT(refused.output,
              HasSubstr("Unauthorized: Access is denied due to invalid credentials."));
  EXPECT_EQ(standin_->stats().refused_logons, 1);
  EXPECT_EQ(standin_->stats().home_pages, 0);
  // Basic is not enabled: right credentials, wrong scheme.
  auto basic = curl("--basic -u '" + std::string(kUser) + ":" + kPassword +
                    "' -o /dev/null -w '%{http_code}' " + url("/"));
  EXPECT_EQ(basic.output, "401");
}

TEST_F(StandinTest, ChallengeListsNegotiateBeforeNtlmLikeIis) {
  auto anonymous = curl("-D - -o /dev/null " + url("/"));
  std::size_t negotiate = anonymous.output.find("WWW-Authenticate: Negotiate\r\n");
  std::size_t ntlm = anonymous.output.find("WWW-Authenticate: NTLM\r\n");
  ASSERT_NE(negotiate, std::string::npos) << anonymous.output;
  ASSERT_NE(ntlm, std::string::npos) << anonymous.output;
  EXPECT_LT(negotiate, ntlm);
  EXPECT_THAT(anonymous.output, Not(HasSubstr("Basic")));
  EXPECT_THAT(anonymous.output, HasSubstr("Server: Microsoft-IIS/10.0"));

  start(StandinAuth::kNtlmAndBasic);
  auto both = curl("-D - -o /dev/null " + url("/"));
  EXPECT_THAT(both.output, HasSubstr("WWW-Authenticate: Basic realm="));
  auto basic = curl("--basic -u '" + std::string(kUser) + ":" + kPassword +
                    "' -o /dev/null -w '%{http_code}' " + url("/"));
  EXPECT_EQ(basic.output, "200");
  auto ntlm_too = curl(ntlm_login() + "-o /dev/null -w '%{http_code}' " + url("/"));
  EXPECT_EQ(ntlm_too.output, "200");
}

TEST_F(StandinTest, CurlEnrollsAndOpensslVerifiesWhatItGets) {
  std::string page = submit("CiscoRA");
  EXPECT_THAT(page, HasSubstr("Certificate Issued"));
  EXPECT_THAT(page, HasSubstr("The certificate you requested was issued to you."));
  // All three link shapes clients match on.
  const std::string id = std::to_string(standin_->last_request_id());
  EXPECT_EQ(digits_after(page, "certnew.cer?ReqID=", '&'), id);
  EXPECT_THAT(page, HasSubstr("certnew.cer?ReqID=" + id + "&amp;Enc=b64"));
  EXPECT_THAT(page, HasSubstr("location=\"certnew.cer?ReqID=" + id + "&"));

  auto pem = curl(ntlm_login() + "-D " + dir_.file("headers") + " -o " + dir_.file("lsc.pem") +
                  " " + url("/certnew.cer?ReqID=" + id + "&ENC=b64"));
  ASSERT_EQ(pem.exit_code, 0) << pem.output;
  EXPECT_THAT(to_string(dir_.read("headers")), HasSubstr("Content-Type: application/pkix-cert"));
  EXPECT_THAT(to_string(dir_.read("lsc.pem")), HasSubstr("-----BEGIN CERTIFICATE-----"));
  auto verify =
      run_shell("openssl verify -CAfile " + dir_.file("ca.pem") + " " + dir_.file("lsc.pem"));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  auto text = run_shell("openssl x509 -noout -text -in " + dir_.file("lsc.pem"));
  EXPECT_THAT(text.output, HasSubstr("Subject: CN = SEP001122334455"));
  EXPECT_THAT(text.output, HasSubstr("Digital Signature, Key Encipherment"));
  EXPECT_THAT(text.output,
              HasSubstr("TLS Web Client Authentication, TLS Web Server Authentication"));

  auto der = curl(ntlm_login() + "-o " + dir_.file("lsc.der") + " " +
                  url("/certnew.cer?ReqID=" + id + "&Enc=bin"));
  ASSERT_EQ(der.exit_code, 0) << der.output;
  auto from_der = pki::Certificate::from_der(dir_.read("lsc.der"));
  ASSERT_TRUE(from_der) << from_der.error().message;
  EXPECT_EQ(from_der->pem(), pki::Certificate::from_pem(to_string(dir_.read("lsc.pem")))->pem());

  // certnew.p7b?Enc=b64: a PKCS#7 between CERTIFICATE markers
  // (docs/spec/adcs-web-enrollment.md §5); openssl reads it once relabelled.
  auto chain = curl(ntlm_login() + "-o " + dir_.file("chain.p7b") + " " +
                    url("/certnew.p7b?ReqID=" + id + "&Enc=b64"));
  ASSERT_EQ(chain.exit_code, 0) << chain.output;
  EXPECT_EQ(to_string(dir_.read("chain.p7b")).rfind("-----BEGIN CERTIFICATE-----\r\n", 0), 0u);
  auto listed = run_shell("sed 's/CERTIFICATE/PKCS7/' " + dir_.file("chain.p7b") +
                          " | openssl pkcs7 -print_certs -noout");
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("subject=CN = SEP001122334455"));
  EXPECT_THAT(listed.output, HasSubstr("subject=DC = net, DC = example, CN = Example Issuing CA"));
}

TEST_F(StandinTest, AnswersExpectContinueBeforeTheBody) {
  // IIS answers "100 Continue"; without it curl would wait out the 30 s --expect100-timeout and
  // hit --max-time first.
  std::string output = submit("CiscoRA", "-v -H 'Expect: 100-continue' --expect100-timeout 30");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 100 Continue"));
  EXPECT_THAT(output, HasSubstr("Certificate Issued"));
}

TEST_F(StandinTest, PendingRequestFollowsTheAdministratorThroughChkpnd) {
  std::string page = submit("Manual");
  EXPECT_THAT(page, HasSubstr("Certificate Pending"));
  std::optional<std::string> pending_id = digits_after(page, "Your Request Id is ", '.');
  ASSERT_TRUE(pending_id) << page;
  const std::string id = *pending_id;
  EXPECT_THAT(page, Not(HasSubstr("certnew.cer?ReqID=")));
  const std::string poll = ntlm_login() + "--data 'Mode=chkpnd&ReqID=" + id +
                           "&SaveCert=yes&TargetStoreFlags=0' " + url("/certfnsh.asp");
  EXPECT_THAT(curl(poll).output, HasSubstr("still pending"));
  auto held = curl(ntlm_login() + url("/certnew.cer?ReqID=" + id + "&Enc=b64"));
  EXPECT_EQ(tab_block(held.output, "Disposition message:"), "Taken Under Submission");

  ASSERT_TRUE(standin_->approve(std::stoi(id)));
  EXPECT_THAT(curl(poll).output, HasSubstr("was issued to you"));
  EXPECT_EQ(standin_->stats().pending_checks, 2);
}

TEST_F(StandinTest, DenialsCarryTheDispositionMessageClientsRead) {
  std::string page = submit("NoSuchTemplate");
  EXPECT_THAT(page, HasSubstr("Certificate Request Denied"));
  EXPECT_THAT(page, HasSubstr("Your certificate request was denied."));
  EXPECT_EQ(quoted_disposition(page),
            "Denied by Policy Module  0x80094800, The request was for a certificate template "
            "that is not supported by the Active Directory Certificate Services policy: "
            "NoSuchTemplate.");
  // Certipy's reading of the same denial through certnew.cer.
  const std::string id = std::to_string(standin_->last_request_id());
  auto block = curl(ntlm_login() + url("/certnew.cer?ReqID=" + id + "&Enc=b64"));
  EXPECT_EQ(hex_code(block.output), "0x80094800");

  dir_.write("garbage.txt",
             "-----BEGIN CERTIFICATE REQUEST-----\nTm90IGEgcmVxdWVzdA==\n"
             "-----END CERTIFICATE REQUEST-----\n");
  auto garbage =
      curl(ntlm_login() + "--data-urlencode Mode=newreq --data-urlencode CertRequest@" +
           dir_.file("garbage.txt") +
           " --data-urlencode 'CertAttrib=CertificateTemplate:CiscoRA' " + url("/certfnsh.asp"));
  EXPECT_THAT(garbage.output, HasSubstr("The disposition message is \"Error Parsing Request"));
  EXPECT_EQ(standin_->stats().denied, 2);
}

TEST_F(StandinTest, UnknownRequestIdGivesThePropertyEmptyBlock) {
  auto block = curl(ntlm_login() + "-D - " + url("/certnew.cer?ReqID=999999&Enc=b64"));
  EXPECT_THAT(block.output, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(block.output, HasSubstr("Content-Type: text/html"));
  EXPECT_THAT(tab_block(block.output, "Disposition message:").value_or(""),
              HasSubstr("The requested property value is empty"));
  EXPECT_THAT(tab_block(block.output, "LastStatus:").value_or(""),
              HasSubstr("0x80094004 (-2146877436 CERTSRV_E_PROPERTY_EMPTY)"));
}

TEST_F(StandinTest, CaPagesGiveTheRootAndItsChain) {
  auto carc = curl(ntlm_login() + url("/certcarc.asp"));
  EXPECT_THAT(carc.output, HasSubstr("var nRenewals=0;"));
  auto der = curl(ntlm_login() + "-o " + dir_.file("ca.der") + " -w '%{content_type}' " +
                  url("/certnew.cer?ReqID=CACert&Renewal=0&Enc=bin"));
  EXPECT_EQ(der.output, "application/pkix-cert");
  EXPECT_EQ(dir_.read("ca.der"), standin_->ca_certificate().der());
  auto p7b = curl(ntlm_login() + "-w '%{content_type}' -o " + dir_.file("ca.p7b") + " " +
                  url("/certnew.p7b?ReqID=CACert&Renewal=0&Enc=bin"));
  EXPECT_EQ(p7b.output, "application/x-pkcs7-certificates");
  auto listed =
      run_shell("openssl pkcs7 -inform DER -print_certs -noout -in " + dir_.file("ca.p7b"));
  EXPECT_THAT(listed.output, HasSubstr("CN = Example Issuing CA"));
}

// libcurl with hand-made NTLM messages: a logon answers the challenge of its own connection.
class RawCurl {
 public:
  explicit RawCurl(const std::string& ca_file) : curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &RawCurl::on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &headers_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &RawCurl::on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
  }
  ~RawCurl() { curl_easy_cleanup(curl_); }

  // GETs the URL with an optional "Authorization: NTLM <token>"; returns the HTTP status.
  long get(const std::string& url, const std::string& ntlm_token = "") {
    headers_.clear();
    body_.clear();
    curl_slist* list = nullptr;
    std::string line = "Authorization: NTLM " + ntlm_token;
    if (!ntlm_token.empty())
      list = curl_slist_append(list, line.c_str());
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    CURLcode code = curl_easy_perform(curl_);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(list);
    long status = 0;
    if (code == CURLE_OK)
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }
  long new_connections() {
    long n = 0;
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &n);
    return n;
  }
  // The token of "WWW-Authenticate: NTLM <token>" in the last answer.
  std::string challenge() const {
    constexpr std::string_view kPrefix = "WWW-Authenticate: NTLM ";
    std::size_t at = headers_.find(kPrefix);
    if (at == std::string::npos)
      return "";
    std::size_t start = at + kPrefix.size();
    return headers_.substr(start, headers_.find_first_of("\r\n", start) - start);
  }

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  }
  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  }
  CURL* curl_;
  std::string headers_;
  std::string body_;
};

TEST_F(StandinTest, NtlmLogonIsBoundToItsConnection) {
  const std::string home = standin_->url() + "/";
  RawCurl first(dir_.file("ca.pem"));
  ASSERT_EQ(first.get(home, ntlm_client::negotiate()), 401);
  const std::string token = first.challenge();
  ASSERT_FALSE(token.empty());
  const std::string answer = ntlm_client::authenticate(ntlm_client::read_challenge(token),
                                                       "EXAMPLE", "svc-capf", kPassword);

  // The right answer on another connection is refused: that connection was never challenged.
  RawCurl second(dir_.file("ca.pem"));
  EXPECT_EQ(second.get(home, answer), 401);

  // On its own connection it logs on, and the logon lasts for the connection's next requests.
  EXPECT_EQ(first.get(home, answer), 200);
  EXPECT_EQ(first.new_connections(), 0);  // the connection of the challenge was reused
  EXPECT_EQ(first.get(home), 200);
  EXPECT_EQ(first.new_connections(), 0);
  // A new connection starts anonymous.
  RawCurl third(dir_.file("ca.pem"));
  EXPECT_EQ(third.get(home), 401);

  StandinStats stats = standin_->stats();
  EXPECT_EQ(stats.connections, 3);
  EXPECT_EQ(stats.ntlm_logons, 1);
  EXPECT_EQ(stats.refused_logons, 1);
  EXPECT_EQ(stats.home_pages, 2);
}

TEST(StandinProgram, ServesByHandUntilTerminated) {
  TempDir dir;
  ChildProcess program;
  ASSERT_TRUE(program.start(
      {ADCS_STANDIN_PATH, "--ca-out", dir.file("ca.pem"), "--url-out", dir.file("url.txt"),
       "--user", kUser, "--password", kPassword, "--template", "CiscoRA=issue"},
      dir.path() / "standin.log"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(dir.file("url.txt")) &&
         std::chrono::steady_clock::now() < deadline && program.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string url = to_string(dir.read("url.txt"));
  ASSERT_FALSE(url.empty()) << program.log_text();
  url.pop_back();  // the newline
  auto home =
      run_shell("curl -sS --max-time 10 --cacert " + dir.file("ca.pem") + " --ntlm -u '" + kUser +
                ":" + kPassword + "' -o /dev/null -w '%{http_code}' '" + url + "/'");
  EXPECT_EQ(home.output, "200");
  program.stop();
  EXPECT_FALSE(program.running());
  EXPECT_THAT(program.log_text(), HasSubstr("adcs_standin: serving " + url));
}

}  // namespace
}  // namespace capf::testing
