#include "capf/issuer/online/scep/scep_issuer.h"

#include <algorithm>
#include <cctype>

#include "capf/issuer/online/scep/scep_ca.h"
#include "capf/issuer/online/scep/scep_challenge.h"
#include "capf/issuer/online/scep/scep_message.h"
#include "capf/issuer/online/scep/scep_ticket.h"

namespace capf {

namespace {

// How long GetCACaps and GetCACert answers are reused: a CA or RA certificate renewal is seen
// within this time (and at once when a reply is signed by a certificate we do not know).
constexpr auto kCaInfoLifetime = std::chrono::minutes(10);
constexpr std::size_t kQuotedBodyLimit = 300;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// A CA's HTTP body, fit to quote in one log line.
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body) {
    if (out.size() >= kQuotedBodyLimit) {
      out += "...";
      break;
    }
    out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out.empty() ? "(empty body)" : "'" + out + "'";
}

std::string_view failure_hint(std::optional<int> fail_info) {
  switch (fail_info.value_or(-1)) {
    case 0:
      return "the CA does not accept the request's algorithms (or key type): use a key type it "
             "issues";
    case 1:
      return "the CA could not verify or decrypt the request: check that the url reaches the CA "
             "whose certificate it publishes";
    case 2:
      return "check the scep challenge password and the CA's policy for this request (the CA's "
             "log names the reason)";
    case 3:
      return "the clocks of opencapf and the CA differ too much: synchronise them";
    case 4:
      return "the CA did not recognise the certificate the request names";
    default:
      return "the CA's log names the reason";
  }
}

}  // namespace

struct ScepIssuer::CaState {
  scep::Capabilities caps;
  scep::CaCertificates certs;
  TimePoint fetched;
};

ScepIssuer::ScepIssuer(OnlineCaSettings settings, const Clock& clock,
                       std::unique_ptr<HttpClient> http)
    : settings_(std::move(settings)), clock_(clock), http_(std::move(http)) {}

ScepIssuer::~ScepIssuer() = default;

Result<std::unique_ptr<ScepIssuer>> ScepIssuer::create(OnlineCaSettings settings,
                                                       const Clock& clock) {
  if (!starts_with_nocase(settings.url, "http://") &&
      !starts_with_nocase(settings.url, "https://")) {
    return make_error(ErrorCode::kInvalidArgument,
                      "scep url '{}' is not http(s): set it to the CA's scep endpoint, e.g. "
                      "http://ndes.example.net/certsrv/mscep/mscep.dll",
                      settings.url);
  }
  if (settings.ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the scep CA at {} has no CA chain configured: set it to the CA's "
                      "certificate and its issuers",
                      settings.url);
  }
  CAPF_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::create(settings.http));
  return std::unique_ptr<ScepIssuer>(new ScepIssuer(std::move(settings), clock, std::move(http)));
}

std::string ScepIssuer::describe() const {
  return "online scep " + settings_.url;
}

bool ScepIssuer::supports(const KeySpec& key) const {
  if (!settings_.key_types.empty()) {
    return std::find(settings_.key_types.begin(), settings_.key_types.end(), key) !=
           settings_.key_types.end();
  }
  return key.type == KeyType::kRsa && (key.bits == 2048 || key.bits == 3072 || key.bits == 4096);
}

RequestTemplate ScepIssuer::request_template(const std::string& device_name) const {
  return RequestTemplate{device_name, {}, settings_.secret};
}

Result<Bytes> ScepIssuer::stored_request(const Bytes& csr_der) const {
  return scep::redact_challenge(csr_der);
}

Result<Bytes> ScepIssuer::sendable_request(const Bytes& stored_der) const {
  return scep::restore_challenge(stored_der, settings_.secret.value_or(""));
}

std::string ScepIssuer::operation_url(std::string_view operation) const {
  return fmt::format("{}{}operation={}", settings_.url,
                     settings_.url.find('?') == std::string::npos ? '?' : '&', operation);
}

Result<std::shared_ptr<const ScepIssuer::CaState>> ScepIssuer::fetch_ca_state() {
  auto caps = http_->send({"GET", operation_url("GetCACaps"), {}, {}});
  if (!caps) {
    return caps.error().with_context(
        "cannot reach the scep CA (check that it runs and that the url is right)");
  }
  // A CA without GetCACaps answers an error: RFC 8894 has the client assume the minimum then.
  scep::Capabilities capabilities;
  if (caps->status == 200)
    capabilities = scep::parse_capabilities(caps->body);

  CAPF_ASSIGN_OR_RETURN(HttpResponse cert,
                        http_->send({"GET", operation_url("GetCACert"), {}, {}}));
  if (cert.status != 200) {
    return make_error(ErrorCode::kUnavailable,
                      "the scep CA at {} answered GetCACert with http {}: {}: check the scep url",
                      settings_.url, cert.status, excerpt(cert.body));
  }
  const pki::Certificate* configured = &settings_.ca_chain.front();
  auto certs = scep::parse_ca_certificates(as_bytes(cert.body), configured);
  if (!certs) {
    return make_error(ErrorCode::kUnavailable, "the scep CA at {}: {}", settings_.url,
                      certs.error().message);
  }
  TimePoint now = clock_.now();
  Status matches = scep::check_against_chain(*certs, settings_.ca_chain, now);
  if (!matches)
    return matches.error().with_context(fmt::format("scep CA at {}", settings_.url));
  return std::make_shared<const CaState>(CaState{std::move(capabilities), std::move(*certs), now});
}

Result<std::shared_ptr<const ScepIssuer::CaState>> ScepIssuer::ca_state() {
  {
    std::lock_guard lock(mutex_);
    if (cached_ && clock_.now() - cached_->fetched < kCaInfoLifetime)
      return cached_;
  }
  // Fetched outside the lock: concurrent first calls may both fetch, and both answers are good.
  CAPF_ASSIGN_OR_RETURN(std::shared_ptr<const CaState> state, fetch_ca_state());
  std::lock_guard lock(mutex_);
  cached_ = state;
  return state;
}

Status ScepIssuer::check() {
  CAPF_ASSIGN_OR_RETURN(std::shared_ptr<const CaState> state, fetch_ca_state());
  std::lock_guard lock(mutex_);
  cached_ = std::move(state);
  return ok();
}

Result<Bytes> ScepIssuer::send_pki_operation(const CaState& state, ByteView message,
                                             std::string_view what) {
  HttpRequest request;
  if (state.caps.use_post()) {
    request.method = "POST";
    request.url = operation_url("PKIOperation");
    request.headers.emplace_back("Content-Type", "application/x-pki-message");
    request.body = to_string(message);
  } else {
    request.url = operation_url("PKIOperation") +
                  "&message=" + HttpClient::form_encode(scep::to_base64(message));
  }
  auto response = http_->send(request);
  if (!response)
    return response.error().with_context(fmt::format("scep {}", what));
  if (response->status == 200)
    return Bytes(response->body.begin(), response->body.end());
  switch (response->status) {
    case 400:
    case 401:
    case 403:
    case 500:
      // micromdm answers 500 to a message it cannot take; NDES 403 to a refused client.
      return make_error(ErrorCode::kPermissionDenied,
                        "the scep CA at {} refused {} with http {}: {}", settings_.url, what,
                        response->status, excerpt(response->body));
    default:
      return make_error(ErrorCode::kUnavailable,
                        "the scep CA at {} answered {} with http {}: {}: check the scep url",
                        settings_.url, what, response->status, excerpt(response->body));
  }
}

Result<scep::CertRep> ScepIssuer::exchange(const CaState& state,
                                           const scep::RequestMessage& message,
                                           const scep::Requester& requester,
                                           std::string_view what) {
  scep::Protection protection{state.certs.recipient, state.caps.cipher(), state.caps.hash(),
                              requester};
  auto der = scep::build_request(message, protection);
  if (!der) {
    return make_error(ErrorCode::kUnavailable, "cannot build {} for the scep CA at {}: {}", what,
                      settings_.url, der.error().message);
  }
  CAPF_ASSIGN_OR_RETURN(Bytes reply, send_pki_operation(state, *der, what));
  scep::ReplyContext context{state.certs.signers, requester, message.transaction_id,
                             message.sender_nonce};
  auto rep = scep::decode_cert_rep(reply, context);
  if (rep)
    return rep;
  if (rep.error().code == ErrorCode::kUntrusted) {
    // Perhaps the CA renewed its certificates: fetch them again next time.
    std::lock_guard lock(mutex_);
    cached_.reset();
    return make_error(ErrorCode::kUntrusted, "the scep CA at {} answered {} untrustworthily: {}",
                      settings_.url, what, rep.error().message);
  }
  return make_error(ErrorCode::kUnavailable, "the scep CA at {} answered {} unusably: {}",
                    settings_.url, what, rep.error().message);
}

Result<IssueOutcome> ScepIssuer::conclude(const scep::CertRep& rep, const CaState& state,
                                          const IssueRequest& request) {
  switch (rep.status) {
    case scep::PkiStatus::kSuccess: {
      // The phone's certificate is the one with its key; anything else sent may help the chain.
      auto mine = std::find_if(
          rep.certificates.begin(), rep.certificates.end(),
          [&](const pki::Certificate& cert) { return cert.spki_der() == request.spki_der; });
      const pki::Certificate& certificate =
          mine != rep.certificates.end() ? *mine : rep.certificates.front();
      std::vector<pki::Certificate> extra;
      for (const auto& cert : rep.certificates) {
        if (!(cert == certificate))
          extra.push_back(cert);
      }
      extra.push_back(state.certs.ca);
      extra.insert(extra.end(), state.certs.ca_others.begin(), state.certs.ca_others.end());
      CAPF_ASSIGN_OR_RETURN(Issued issued, accept_issued(certificate, extra, request,
                                                         settings_.ca_chain, clock_.now()));
      return IssueOutcome(std::move(issued));
    }
    case scep::PkiStatus::kFailure: {
      std::string info =
          rep.fail_info
              ? fmt::format("{} ({})", scep::fail_info_name(*rep.fail_info), *rep.fail_info)
              : std::string("no failInfo");
      std::string text = rep.fail_info_text.empty() ? "" : " '" + rep.fail_info_text + "'";
      return make_error(ErrorCode::kPermissionDenied,
                        "scep failure: {}{}: the CA at {} refused the request for {}: {}", info,
                        text, settings_.url, request.device_name, failure_hint(rep.fail_info));
    }
    case scep::PkiStatus::kPending:
      break;
  }
  return make_error(ErrorCode::kInternal, "a PENDING scep reply reached conclude()");
}

Result<IssueOutcome> ScepIssuer::issue(const IssueRequest& request) {
  if (!request.csr_der || request.csr_der->empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the scep CA needs the certificate request the phone signs (spec §6.10) for "
                      "{}, and none was given",
                      request.device_name);
  }
  // A request from the queue: the challenge was redacted before it was stored.
  auto csr = sendable_request(*request.csr_der);
  if (!csr) {
    return make_error(ErrorCode::kInvalidArgument, "{} for {}", csr.error().message,
                      request.device_name);
  }
  auto subject = scep::csr_subject_der(*csr);
  if (!subject) {
    return make_error(ErrorCode::kInvalidArgument, "{} for {}", subject.error().message,
                      request.device_name);
  }
  CAPF_ASSIGN_OR_RETURN(std::shared_ptr<const CaState> state, ca_state());
  CAPF_ASSIGN_OR_RETURN(scep::Requester requester, scep::make_requester(*subject, clock_));
  scep::RequestMessage message{scep::MessageType::kPkcsReq,
                               scep::transaction_id_for(request.spki_der), scep::new_nonce(),
                               std::move(*csr)};
  std::string what = "the PKCSReq for " + request.device_name;
  CAPF_ASSIGN_OR_RETURN(scep::CertRep rep, exchange(*state, message, requester, what));
  if (rep.status != scep::PkiStatus::kPending)
    return conclude(rep, *state, request);

  CAPF_ASSIGN_OR_RETURN(std::string key_pem, requester.key.to_pem());
  scep::PollTicket ticket{settings_.url,       message.transaction_id,
                          request.device_name, request.spki_der,
                          request.key,         requester.certificate.pem(),
                          std::move(key_pem),  scep::certificate_subject_der(state->certs.ca),
                          std::move(*subject)};
  return IssueOutcome(PendingIssue{
      scep::encode_ticket(ticket),
      fmt::format("the scep CA at {} holds the request for {} (transactionID {}) for approval",
                  settings_.url, request.device_name, message.transaction_id)});
}

Result<IssueOutcome> ScepIssuer::retrieve(const std::string& ticket_text) {
  CAPF_ASSIGN_OR_RETURN(scep::PollTicket ticket, scep::decode_ticket(ticket_text));
  auto certificate = pki::Certificate::from_pem(ticket.requester_certificate_pem);
  auto key = pki::PrivateKey::from_pem(ticket.requester_key_pem);
  if (!certificate || !key) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the scep poll ticket for {} holds a broken requester certificate or key",
                      ticket.device_name);
  }
  scep::Requester requester{*certificate, *key};
  CAPF_ASSIGN_OR_RETURN(std::shared_ptr<const CaState> state, ca_state());
  scep::RequestMessage message{scep::MessageType::kCertPoll, ticket.transaction_id,
                               scep::new_nonce(),
                               scep::issuer_and_subject(ticket.issuer_der, ticket.subject_der)};
  std::string what = "the CertPoll for " + ticket.device_name;
  CAPF_ASSIGN_OR_RETURN(scep::CertRep rep, exchange(*state, message, requester, what));
  if (rep.status == scep::PkiStatus::kPending) {
    return IssueOutcome(PendingIssue{
        ticket_text, fmt::format("the scep CA at {} still holds the request for {} "
                                 "(transactionID {})",
                                 settings_.url, ticket.device_name, ticket.transaction_id)});
  }
  IssueRequest request{ticket.device_name, ticket.spki_der, ticket.key, std::nullopt, "scep poll"};
  return conclude(rep, *state, request);
}

}  // namespace capf
