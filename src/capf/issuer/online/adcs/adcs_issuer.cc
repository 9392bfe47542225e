#include "capf/issuer/online/adcs/adcs_issuer.h"

#include <algorithm>

#include "capf/common/strings.h"
#include "capf/issuer/online/adcs/certsrv_pages.h"
#include "capf/issuer/online/adcs/certsrv_pkcs7.h"

namespace capf {

namespace {

bool is_request_id(std::string_view s) {
  return !s.empty() && s.size() <= 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string pending_detail(const std::string& id) {
  return fmt::format("taken under submission (request id {})", id);
}

std::string describe_chain(const std::vector<pki::Certificate>& chain) {
  std::string out;
  for (const auto& c : chain) {
    if (!out.empty())
      out += "; ";
    out += fmt::format("{} (sha256 {})", c.subject(), c.fingerprint_sha256());
  }
  return out;
}

}  // namespace

AdcsIssuer::AdcsIssuer(OnlineCaSettings settings, const Clock& clock,
                       std::unique_ptr<HttpClient> http)
    : settings_(std::move(settings)), clock_(clock), http_(std::move(http)) {
  base_url_ = settings_.url;
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
}

Result<std::unique_ptr<AdcsIssuer>> AdcsIssuer::create(OnlineCaSettings settings,
                                                       const Clock& clock) {
  if (!starts_with_ci(settings.url, "https://") || settings.url.size() <= 8) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] url \"{}\" must be https://<ca host>/certsrv: ad cs web "
                      "enrollment carries the account's password and the phones' requests, so "
                      "opencapf speaks only https to it",
                      settings.url);
  }
  if (settings.template_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] template is empty: set it to the name (not the display "
                      "name) of the ad cs certificate template that issues LSCs, e.g. CiscoRA");
  }
  if (settings.username.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] username is empty: set it to the enrollment account, "
                      "DOMAIN\\user");
  }
  if (!settings.secret || settings.secret->empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] has no password for {}: set password_file or password_env",
                      settings.username);
  }
  std::string auth = to_lower(settings.auth.empty() ? "ntlm" : settings.auth);
  if (auth != "ntlm" && auth != "basic") {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] auth = \"{}\": use \"ntlm\" (what IIS enables for certsrv) "
                      "or \"basic\"",
                      settings.auth);
  }
  if (settings.ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer.online] ca_chain_file holds no certificate: give the PEM file of "
                      "the CA that signs LSCs, up to its root");
  }
  HttpClientOptions http = settings.http;
  http.auth = auth == "ntlm" ? HttpAuth::kNtlm : HttpAuth::kBasic;
  http.username = settings.username;
  http.password = *settings.secret;
  CAPF_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, HttpClient::create(http));
  return std::unique_ptr<AdcsIssuer>(new AdcsIssuer(std::move(settings), clock, std::move(client)));
}

std::string AdcsIssuer::describe() const {
  return fmt::format("online adcs {} (template {})", base_url_, settings_.template_name);
}

bool AdcsIssuer::supports(const KeySpec& key) const {
  if (!settings_.key_types.empty())
    return std::find(settings_.key_types.begin(), settings_.key_types.end(), key) !=
           settings_.key_types.end();
  return key.type == KeyType::kRsa && key.bits >= 1024 && key.bits <= 4096;
}

Result<IssueOutcome> AdcsIssuer::issue(const IssueRequest& request) {
  if (!request.csr_der || request.csr_der->empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the adcs issuer needs the phone-signed certificate request of {} (spec "
                      "§6.10), and none was given",
                      request.device_name);
  }
  const std::string pem = pki::pem_encode("CERTIFICATE REQUEST", *request.csr_der);
  const std::string body =
      "Mode=newreq&CertRequest=" + HttpClient::form_encode(pem) +
      "&CertAttrib=" + HttpClient::form_encode("CertificateTemplate:" + settings_.template_name) +
      "&TargetStoreFlags=0&SaveCert=yes";
  const std::string path = "/certfnsh.asp";
  CAPF_ASSIGN_OR_RETURN(HttpResponse answer, expect_ok(post_form(path, body), path));
  adcs::CertsrvPage page = adcs::read_enrollment_page(answer.body);
  switch (page.verdict) {
    case adcs::PageVerdict::kIssued:
      return fetch_issued(page.request_id, &request);
    case adcs::PageVerdict::kPending:
      return IssueOutcome(PendingIssue{page.request_id, pending_detail(page.request_id)});
    case adcs::PageVerdict::kDenied:
      if (page.message.empty() && !page.request_id.empty()) {
        // A page without the disposition message: certnew.cer's text block carries it.
        auto detail = fetch_issued(page.request_id, &request);
        if (!detail && detail.error().code == ErrorCode::kPermissionDenied)
          return detail.error();
      }
      return make_error(
          ErrorCode::kPermissionDenied, "the CA denied the request: {}",
          page.message.empty() ? "(the page gives no disposition message)" : page.message);
    case adcs::PageVerdict::kUnknownRequest:
    case adcs::PageVerdict::kUnrecognised:
      return unrecognised(answer.body);
  }
  return make_error(ErrorCode::kInternal, "unhandled certsrv page verdict");
}

Result<IssueOutcome> AdcsIssuer::retrieve(const std::string& ticket) {
  if (!is_request_id(ticket)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "\"{}\" is not an ad cs request id (a number of up to 10 digits)", ticket);
  }
  return fetch_issued(ticket, nullptr);
}

Result<std::vector<pki::Certificate>> AdcsIssuer::fetch_ca_chain() {
  const std::string carc = "/certcarc.asp";
  CAPF_ASSIGN_OR_RETURN(HttpResponse page, expect_ok(get(carc), carc));
  const int renewals = adcs::read_renewal_count(page.body);
  const std::string path = fmt::format("/certnew.p7b?ReqID=CACert&Renewal={}&Enc=b64", renewals);
  CAPF_ASSIGN_OR_RETURN(HttpResponse bundle, expect_ok(get(path), path));
  auto certificates = adcs::read_certificate_bundle(bundle.body);
  if (!certificates) {
    if (starts_with_ci(bundle.header("content-type"), "text/html"))
      return unrecognised(bundle.body);
    return make_error(ErrorCode::kUnavailable, "the CA's {} is not a certificate chain: {}", path,
                      certificates.error().message);
  }
  return adcs::chain_order(std::move(*certificates));
}

Status AdcsIssuer::check() {
  CAPF_TRY(expect_ok(get("/"), "/"));
  CAPF_ASSIGN_OR_RETURN(std::vector<pki::Certificate> chain, fetch_ca_chain());
  const pki::Certificate& signer = settings_.ca_chain.front();
  if (std::find(chain.begin(), chain.end(), signer) != chain.end())
    return ok();
  return make_error(ErrorCode::kInvalidArgument,
                    "the CA at {} serves the chain [{}], which does not contain the first "
                    "certificate of [issuer.online] ca_chain_file, {} (sha256 {}): set "
                    "ca_chain_file to the chain of the CA that signs LSCs",
                    base_url_, describe_chain(chain), signer.subject(),
                    signer.fingerprint_sha256());
}

Result<HttpResponse> AdcsIssuer::get(const std::string& path) {
  HttpRequest request;
  request.method = "GET";
  request.url = base_url_ + path;
  return http_->send(request);
}

Result<HttpResponse> AdcsIssuer::post_form(const std::string& path, const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = base_url_ + path;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = body;
  return http_->send(request);
}

Result<HttpResponse> AdcsIssuer::expect_ok(Result<HttpResponse> response,
                                           const std::string& path) const {
  if (!response)
    return response.error();  // kUnavailable or kUntrusted, naming the URL and the reason
  switch (response->status) {
    case 200:
      return response;
    case 401:
      return make_error(ErrorCode::kPermissionDenied,
                        "the CA refused the credentials of {} (HTTP 401): check [issuer.online] "
                        "username and password, and that the account may enroll on template {}",
                        settings_.username, settings_.template_name);
    case 403:
      return make_error(ErrorCode::kPermissionDenied,
                        "the CA refused access to {}{} (HTTP 403): {}", base_url_, path,
                        adcs::page_excerpt(response->body));
    case 404:
      return make_error(ErrorCode::kUnavailable,
                        "the CA has no {}{} (HTTP 404): set [issuer.online] url to the web "
                        "enrollment address (https://<ca host>/certsrv) and check that the "
                        "Certification Authority Web Enrollment role is installed",
                        base_url_, path);
    default:
      return make_error(ErrorCode::kUnavailable, "the CA answered HTTP {} to {}{}: {}",
                        response->status, base_url_, path, adcs::page_excerpt(response->body));
  }
}

Result<IssueOutcome> AdcsIssuer::fetch_issued(const std::string& id, const IssueRequest* request) {
  const std::string path = "/certnew.cer?ReqID=" + id + "&Enc=b64";
  CAPF_ASSIGN_OR_RETURN(HttpResponse answer, expect_ok(get(path), path));
  const std::string type = to_lower(answer.header("content-type"));
  if (type.rfind("application/pkix-cert", 0) == 0 ||
      answer.body.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    auto certificate = pki::Certificate::from_bytes(as_bytes(answer.body));
    if (!certificate) {
      return make_error(ErrorCode::kUnavailable, "the CA's {} is not a certificate: {}", path,
                        certificate.error().message);
    }
    if (request != nullptr) {
      CAPF_ASSIGN_OR_RETURN(Issued issued, accept_issued(*certificate, {}, *request,
                                                         settings_.ca_chain, clock_.now()));
      return IssueOutcome(std::move(issued));
    }
    // retrieve(): only the request id is known, so the key check is against the certificate's
    // own key and the chain check is what remains.
    IssueRequest own{certificate->common_name(), certificate->spki_der(),
                     certificate->public_key().spec(), std::nullopt, ""};
    CAPF_ASSIGN_OR_RETURN(Issued issued,
                          accept_issued(*certificate, {}, own, settings_.ca_chain, clock_.now()));
    return IssueOutcome(std::move(issued));
  }
  adcs::CertsrvPage page = adcs::read_certificate_error(answer.body);
  switch (page.verdict) {
    case adcs::PageVerdict::kPending:
      return IssueOutcome(PendingIssue{id, pending_detail(id)});
    case adcs::PageVerdict::kDenied:
      return make_error(ErrorCode::kPermissionDenied, "the CA denied the request: {}",
                        page.message);
    case adcs::PageVerdict::kUnknownRequest:
      return make_error(ErrorCode::kPermissionDenied,
                        "the CA has no request {} (\"The requested property value is empty\"): it "
                        "was deleted or went to another CA; set the device's certificate "
                        "operation again to send a new request",
                        id);
    case adcs::PageVerdict::kIssued:
    case adcs::PageVerdict::kUnrecognised:
      return unrecognised(answer.body);
  }
  return make_error(ErrorCode::kInternal, "unhandled certsrv page verdict");
}

Error AdcsIssuer::unrecognised(std::string_view body) const {
  return make_error(ErrorCode::kUnavailable,
                    "the CA answered with a page opencapf does not recognise (is the CA's web "
                    "enrollment in English?): {}",
                    adcs::page_excerpt(body));
}

}  // namespace capf
