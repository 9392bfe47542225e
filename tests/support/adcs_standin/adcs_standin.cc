#include "adcs_standin.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "capf/common/strings.h"
#include "certsrv_html.h"

namespace capf::testing {

namespace {

// Disposition messages and status lines as AD CS words them
// (docs/spec/adcs-web-enrollment.md §2 and §3).
constexpr std::string_view kTemplateDenied =
    "Denied by Policy Module  0x80094012, The permissions on the certificate template do not "
    "allow the current user to enroll for this type of certificate.";
constexpr std::string_view kTemplateDeniedStatus =
    "The permissions on the certificate template do not allow the current user to enroll for "
    "this type of certificate. 0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)";
constexpr std::string_view kUnsupportedTemplate =
    "Denied by Policy Module  0x80094800, The request was for a certificate template that is not "
    "supported by the Active Directory Certificate Services policy: {}.";
constexpr std::string_view kUnsupportedTemplateStatus =
    "The requested certificate template is not supported by this CA. 0x80094800 (-2146875392 "
    "CERTSRV_E_UNSUPPORTED_CERT_TYPE)";
constexpr std::string_view kNoTemplate =
    "Denied by Policy Module  0x80094801, The request contains no certificate template "
    "information.";
constexpr std::string_view kNoTemplateStatus =
    "The request contains no certificate template information. 0x80094801 (-2146875391 "
    "CERTSRV_E_NO_CERT_TYPE)";
constexpr std::string_view kParseError =
    "Error Parsing Request  ASN1 bad tag value met. 0x8009310b (ASN: 267 CRYPT_E_ASN1_BADTAG)";
constexpr std::string_view kSignatureError =
    "Error Verifying Request Signature or Signing Certificate  The signature of the certificate "
    "request is not valid. 0x80090006 (-2146893818 NTE_BAD_SIGNATURE)";
constexpr std::string_view kAdminDeniedStatus =
    "The request was denied by a certificate manager or CA administrator. 0x80094014 "
    "(-2146877420 CERTSRV_E_ADMIN_DENIED_REQUEST)";
constexpr std::string_view kPropertyEmpty =
    "The requested property value is empty. 0x80094004 (-2146877436 CERTSRV_E_PROPERTY_EMPTY)";
constexpr std::string_view kUnderSubmission = "Taken Under Submission";
constexpr std::string_view kSuccessStatus =
    "The operation completed successfully. 0x0 (WIN32: 0 ERROR_SUCCESS)";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Percent-decoding as ASP does it; '+' is a space in both the query and a form body.
std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// name=value&name=value with names lower-cased (ASP's Request.Form and Request.QueryString
// ignore case); the first occurrence of a name wins.
std::map<std::string, std::string> parse_pairs(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    std::size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    std::size_t eq = pair.find('=');
    std::string name = lower(url_decode(pair.substr(0, eq)));
    std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    if (!name.empty())
      out.emplace(std::move(name), std::move(value));
  }
  return out;
}

std::string field(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? "" : it->second;
}

// "CertificateTemplate:<name>" among the CertAttrib lines (CRLF or LF separated).
std::string template_of(const std::map<std::string, std::string>& form) {
  const std::string attributes = field(form, "certattrib");
  std::string_view rest = attributes;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        lower(trim(line.substr(0, colon))) == "certificatetemplate")
      return std::string(trim(line.substr(colon + 1)));
  }
  return std::string(trim(field(form, "certificatetemplate")));  // what nokia also sends
}

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace

// One TCP connection: its NTLM handshake lives exactly as long as the connection.
class StandinConnection final : public ConnectionHandler {
 public:
  explicit StandinConnection(AdcsStandin& standin)
      : standin_(standin), ntlm_(standin.options_.account) {}
  StandinReply handle(const StandinRequest& request) override {
    return standin_.serve(request, ntlm_);
  }

 private:
  AdcsStandin& standin_;
  NtlmHandshake ntlm_;
};

AdcsStandin::AdcsStandin(StandinOptions options, std::unique_ptr<StandinCa> ca)
    : options_(std::move(options)), auth_(options_.account, options_.auth), ca_(std::move(ca)) {}

AdcsStandin::~AdcsStandin() {
  stop();
}

Result<std::unique_ptr<AdcsStandin>> AdcsStandin::start(StandinOptions options) {
  CAPF_ASSIGN_OR_RETURN(std::unique_ptr<StandinCa> ca, StandinCa::create(options.ca_name));
  std::unique_ptr<AdcsStandin> standin(new AdcsStandin(std::move(options), std::move(ca)));
  AdcsStandin* raw = standin.get();
  HandlerFactory factory = [raw]() -> std::unique_ptr<ConnectionHandler> {
    {
      std::lock_guard lock(raw->mutex_);
      ++raw->stats_.connections;
    }
    return std::make_unique<StandinConnection>(*raw);
  };
  CAPF_ASSIGN_OR_RETURN(
      standin->server_,
      HttpsServer::start(standin->ca_->tls_certificate(), standin->ca_->tls_key(),
                         std::move(factory), standin->options_.port, standin->options_.io_timeout));
  standin->port_ = standin->server_->port();
  return standin;
}

void AdcsStandin::stop() {
  if (server_)
    server_->stop();
}

std::string AdcsStandin::url() const {
  return fmt::format("https://127.0.0.1:{}/certsrv", port_);
}

void AdcsStandin::set_template(const std::string& name, TemplateBehaviour behaviour,
                               const std::string& deny_message) {
  std::lock_guard lock(mutex_);
  templates_[lower(name)] = Template{behaviour, deny_message};
}

bool AdcsStandin::approve(int request_id) {
  std::lock_guard lock(mutex_);
  auto it = requests_.find(request_id);
  if (it == requests_.end() || it->second.state != State::kPending)
    return false;
  auto cert = ca_->sign(it->second.csr_der, it->second.template_name, options_.validity_days);
  if (!cert) {
    remark("approve " + std::to_string(request_id) + ": " + cert.error().message);
    return false;
  }
  it->second.state = State::kIssued;
  it->second.certificate = *cert;
  ++stats_.issued;
  return true;
}

bool AdcsStandin::deny(int request_id, const std::string& disposition) {
  std::lock_guard lock(mutex_);
  auto it = requests_.find(request_id);
  if (it == requests_.end() || it->second.state != State::kPending)
    return false;
  it->second.state = State::kDenied;
  it->second.disposition = disposition;
  it->second.last_status = std::string(kAdminDeniedStatus);
  ++stats_.denied;
  return true;
}

StandinStats AdcsStandin::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

int AdcsStandin::last_request_id() const {
  std::lock_guard lock(mutex_);
  return requests_.empty() ? 0 : requests_.rbegin()->first;
}

std::map<std::string, std::string> AdcsStandin::last_form() const {
  std::lock_guard lock(mutex_);
  return last_form_;
}

std::vector<std::string> AdcsStandin::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

void AdcsStandin::remark(std::string line) {
  if (log_.size() < 1000)
    log_.push_back(std::move(line));
}

StandinReply AdcsStandin::serve(const StandinRequest& request, NtlmHandshake& ntlm) {
  const std::size_t question = request.target.find('?');
  const std::string path = lower(url_decode(request.target.substr(0, question)));
  const auto query = parse_pairs(question == std::string::npos
                                     ? std::string_view()
                                     : std::string_view(request.target).substr(question + 1));
  if (path != "/certsrv" && path.rfind("/certsrv/", 0) != 0) {
    StandinReply reply{404, {{"Content-Type", "text/html"}}, certsrv_html::not_found_page()};
    return reply;
  }
  AuthDecision decision = authenticate(request, ntlm);
  if (decision.kind != AuthDecision::Kind::kAllowed)
    return decision.reply;
  if (path == "/certsrv")
    return StandinReply{301, {{"Location", "/certsrv/"}, {"Content-Type", "text/html"}}, ""};
  std::lock_guard lock(mutex_);
  if (path == "/certsrv/" || path == "/certsrv/default.asp") {
    ++stats_.home_pages;
    return page(certsrv_html::home_page(options_.ca_name));
  }
  if (path == "/certsrv/certrqxt.asp")
    return page(certsrv_html::request_form_page(options_.ca_name));
  if (path == "/certsrv/certfnsh.asp") {
    if (request.method != "POST")
      return page(
          certsrv_html::error_page(options_.ca_name, "No certificate request was submitted."));
    return enroll(parse_pairs(request.body));
  }
  if (path == "/certsrv/certnew.cer") {
    ++stats_.certificate_fetches;
    return certificate(query, false);
  }
  if (path == "/certsrv/certnew.p7b") {
    ++stats_.chain_fetches;
    return certificate(query, true);
  }
  if (path == "/certsrv/certcarc.asp") {
    ++stats_.ca_pages;
    return page(certsrv_html::ca_certificate_page(options_.ca_name, 0));
  }
  return StandinReply{404, {{"Content-Type", "text/html"}}, certsrv_html::not_found_page()};
}

AuthDecision AdcsStandin::authenticate(const StandinRequest& request, NtlmHandshake& ntlm) {
  AuthDecision decision = auth_.decide(request, ntlm);
  std::lock_guard lock(mutex_);
  switch (decision.kind) {
    case AuthDecision::Kind::kAllowed:
      // Count logons, not the requests an NTLM logon covers afterwards.
      if (!request.header("authorization").empty()) {
        ++(decision.scheme == AuthDecision::Scheme::kBasic ? stats_.basic_logons
                                                           : stats_.ntlm_logons);
      }
      break;
    case AuthDecision::Kind::kNtlmChallenge:
      ++stats_.ntlm_challenges;
      break;
    case AuthDecision::Kind::kRefused:
      ++stats_.refused_logons;
      remark(decision.reason);
      break;
    case AuthDecision::Kind::kChallenge:
      ++stats_.challenges;
      break;
  }
  return decision;
}

StandinReply AdcsStandin::page(std::string body) const {
  return StandinReply{200, {{"Content-Type", "text/html"}}, std::move(body)};
}

StandinReply AdcsStandin::status_page(const std::string& disposition,
                                      const std::string& last_status) const {
  return page(certsrv_html::certificate_status_page(options_.ca_name, disposition, last_status));
}

StandinReply AdcsStandin::enroll(const std::map<std::string, std::string>& form) {
  last_form_ = form;
  const std::string mode = lower(field(form, "mode"));
  if (mode == "newreq") {
    ++stats_.new_requests;
    return new_request(form);
  }
  if (mode == "chkpnd") {
    ++stats_.pending_checks;
    return check_pending(field(form, "reqid"));
  }
  return page(certsrv_html::error_page(options_.ca_name, "Unknown request mode: " + mode));
}

int AdcsStandin::record_denied(Request request, std::string disposition, std::string last_status) {
  const int id = next_id_++;
  request.state = State::kDenied;
  request.disposition = std::move(disposition);
  request.last_status = std::move(last_status);
  requests_[id] = std::move(request);
  ++stats_.denied;
  return id;
}

StandinReply AdcsStandin::new_request(const std::map<std::string, std::string>& form) {
  Request request;
  request.template_name = template_of(form);
  auto der = StandinCa::read_request(field(form, "certrequest"));
  if (!der) {
    const bool bad_signature = der.error().code == ErrorCode::kCrypto;
    std::string why(bad_signature ? kSignatureError : kParseError);
    int id = record_denied(std::move(request), why, why);
    return page(certsrv_html::denied_page(options_.ca_name, id, why));
  }
  request.csr_der = std::move(*der);
  if (request.template_name.empty()) {
    int id =
        record_denied(std::move(request), std::string(kNoTemplate), std::string(kNoTemplateStatus));
    return page(certsrv_html::denied_page(options_.ca_name, id, kNoTemplate));
  }
  auto found = templates_.find(lower(request.template_name));
  if (found == templates_.end()) {
    std::string why = fmt::format(fmt::runtime(kUnsupportedTemplate), request.template_name);
    int id = record_denied(std::move(request), why, std::string(kUnsupportedTemplateStatus));
    return page(certsrv_html::denied_page(options_.ca_name, id, why));
  }
  switch (found->second.behaviour) {
    case TemplateBehaviour::kDeny: {
      std::string why = found->second.deny_message.empty() ? std::string(kTemplateDenied)
                                                           : found->second.deny_message;
      int id = record_denied(std::move(request), why, std::string(kTemplateDeniedStatus));
      return page(certsrv_html::denied_page(options_.ca_name, id, why));
    }
    case TemplateBehaviour::kPending: {
      const int id = next_id_++;
      request.state = State::kPending;
      requests_[id] = std::move(request);
      ++stats_.pending;
      return page(certsrv_html::pending_page(options_.ca_name, id));
    }
    case TemplateBehaviour::kIssue: {
      auto cert = ca_->sign(request.csr_der, request.template_name, options_.validity_days);
      if (!cert) {
        std::string why = "Error Constructing or Publishing Certificate  " + cert.error().message;
        int id = record_denied(std::move(request), why, why);
        return page(certsrv_html::denied_page(options_.ca_name, id, why));
      }
      const int id = next_id_++;
      request.state = State::kIssued;
      request.certificate = *cert;
      requests_[id] = std::move(request);
      ++stats_.issued;
      return page(certsrv_html::issued_page(options_.ca_name, id));
    }
  }
  return page(certsrv_html::error_page(options_.ca_name, "unknown template behaviour"));
}

StandinReply AdcsStandin::check_pending(const std::string& id_text) {
  const int id = std::atoi(id_text.c_str());
  auto it = requests_.find(id);
  if (it == requests_.end())
    return status_page(std::string(kPropertyEmpty), std::string(kPropertyEmpty));
  switch (it->second.state) {
    case State::kIssued:
      return page(certsrv_html::issued_page(options_.ca_name, id));
    case State::kPending:
      return page(certsrv_html::still_pending_page(options_.ca_name, id));
    case State::kDenied:
      return page(certsrv_html::denied_page(options_.ca_name, id, it->second.disposition));
  }
  return status_page(std::string(kPropertyEmpty), std::string(kPropertyEmpty));
}

StandinReply AdcsStandin::certificate(const std::map<std::string, std::string>& query, bool chain) {
  const std::string id_text = field(query, "reqid");
  const bool b64 = lower(field(query, "enc")) == "b64";
  std::vector<pki::Certificate> certificates;
  if (lower(id_text) == "cacert") {
    const std::string renewal = field(query, "renewal");
    if (!renewal.empty() && renewal != "0")
      return status_page(std::string(kPropertyEmpty), std::string(kPropertyEmpty));
    certificates.push_back(ca_->root());
  } else {
    const bool numeric =
        !id_text.empty() && id_text.size() <= 9 &&
        std::all_of(id_text.begin(), id_text.end(), [](char c) { return c >= '0' && c <= '9'; });
    auto it = numeric ? requests_.find(std::stoi(id_text)) : requests_.end();
    if (it == requests_.end())
      return status_page(std::string(kPropertyEmpty), std::string(kPropertyEmpty));
    switch (it->second.state) {
      case State::kPending:
        return status_page(std::string(kUnderSubmission), std::string(kSuccessStatus));
      case State::kDenied:
        return status_page(it->second.disposition, it->second.last_status);
      case State::kIssued:
        certificates.push_back(*it->second.certificate);
        if (chain)
          certificates.push_back(ca_->root());
        break;
    }
  }
  StandinReply reply;
  if (!chain) {
    reply.headers.emplace_back("Content-Type", "application/pkix-cert");
    reply.body = b64 ? crlf(certificates.front().pem()) : to_string(certificates.front().der());
    return reply;
  }
  auto p7 = StandinCa::pkcs7(certificates);
  if (!p7)
    return page(certsrv_html::error_page(options_.ca_name, p7.error().message));
  reply.headers.emplace_back("Content-Type", "application/x-pkcs7-certificates");
  // AD CS writes its base64 PKCS#7 between CERTIFICATE markers
  // (docs/spec/adcs-web-enrollment.md §5).
  reply.body = b64 ? crlf(pki::pem_encode("CERTIFICATE", *p7)) : to_string(*p7);
  return reply;
}

}  // namespace capf::testing
