#include "capf/issuer/online/acme/acme_issuer.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "capf/common/strings.h"
#include "capf/issuer/online/acme/jws.h"
#include "capf/issuer/online/json_text.h"
#include "capf/pki/csr.h"

namespace capf {

namespace {

using SteadyClock = std::chrono::steady_clock;
using acme::text_of;
using std::chrono::milliseconds;

constexpr std::string_view kTicketKeyMark = "#spki-sha256=";

std::string seconds_text(milliseconds d) {
  return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0);
}

// Sleeps before the next poll: the server's Retry-After when it gave seconds (RFC 8555 §8.2),
// else `interval`, which then doubles up to `max`; never past `deadline`. False when the deadline
// has already passed.
bool pause_before_poll(std::string_view retry_after, milliseconds& interval, milliseconds max,
                       SteadyClock::time_point deadline) {
  auto now = SteadyClock::now();
  if (now >= deadline)
    return false;
  milliseconds delay = interval;
  long seconds = 0;
  auto [end, ec] =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
  if (!retry_after.empty() && ec == std::errc() && end == retry_after.data() + retry_after.size() &&
      seconds >= 0) {
    delay = std::chrono::seconds(seconds);
  } else {
    interval = std::min(interval * 2, max);
  }
  auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
  std::this_thread::sleep_for(std::min(delay, left));
  return true;
}

Error order_error(const nlohmann::json& error, std::string_view what, const std::string& url) {
  if (auto problem = acme::problem_of(error)) {
    return make_error(ErrorCode::kPermissionDenied, "acme {}: {} ({} {})", problem->type,
                      problem->detail, what, url);
  }
  return make_error(ErrorCode::kPermissionDenied, "acme {} {} is invalid (the ca gave no reason)",
                    what, url);
}

}  // namespace

struct AcmeIssuer::Order {
  std::string status;
  std::vector<std::string> authorizations;
  std::string finalize;
  std::string certificate;
  nlohmann::json error;
  std::string retry_after;
};

AcmePolling AcmePolling::for_settings(const OnlineCaSettings& settings) {
  AcmePolling polling;
  polling.authorization_wait = std::chrono::duration_cast<milliseconds>(settings.http.timeout * 3);
  polling.order_wait = polling.authorization_wait;
  return polling;
}

Result<std::unique_ptr<AcmeIssuer>> AcmeIssuer::create(OnlineCaSettings settings,
                                                       const Clock& clock) {
  AcmePolling polling = AcmePolling::for_settings(settings);
  return create(std::move(settings), clock, polling);
}

Result<std::unique_ptr<AcmeIssuer>> AcmeIssuer::create(OnlineCaSettings settings,
                                                       const Clock& clock, AcmePolling polling) {
  if (!starts_with_ci(settings.url, "https://")) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the acme directory url '{}' is not https: set the url to the CA's https "
                      "directory url (acme runs over https only)",
                      settings.url);
  }
  if (settings.ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no ca chain is configured for the acme issuer: set ca_chain to the acme "
                      "ca's issuing certificate and its root");
  }
  if (settings.acme_account_key_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no acme account key file is configured: set acme_account_key_file to a "
                      "path where opencapf may keep its acme account key");
  }
  acme::AcmeClientOptions options{settings.url, settings.acme_account_key_file, settings.acme_email,
                                  settings.http};
  CAPF_ASSIGN_OR_RETURN(std::unique_ptr<acme::AcmeClient> client,
                        acme::AcmeClient::create(std::move(options)));
  return std::unique_ptr<AcmeIssuer>(
      new AcmeIssuer(std::move(settings), clock, polling, std::move(client)));
}

bool AcmeIssuer::supports(const KeySpec& key) const {
  if (!settings_.key_types.empty()) {
    return std::find(settings_.key_types.begin(), settings_.key_types.end(), key) !=
           settings_.key_types.end();
  }
  if (key.type == KeyType::kRsa)
    return key.bits == 2048 || key.bits == 3072 || key.bits == 4096;
  return key.bits == 256 || key.bits == 384;
}

std::string AcmeIssuer::identifier(const std::string& device_name) const {
  std::string id = to_lower(device_name);
  const std::string& suffix = settings_.acme_identifier_suffix;
  if (!suffix.empty()) {
    if (suffix.front() != '.')
      id += '.';
    id += suffix;
  }
  return id;
}

RequestTemplate AcmeIssuer::request_template(const std::string& device_name) const {
  std::string id = identifier(device_name);
  return RequestTemplate{id, {id}, std::nullopt};
}

Status AcmeIssuer::check() {
  try {
    CAPF_ASSIGN_OR_RETURN(std::string account, client_->account());
    // One signed round trip proves the key, the account and the nonces work, not just the setup.
    CAPF_ASSIGN_OR_RETURN(acme::Reply reply, client_->post(account, "", "account"));
    std::string status = text_of(reply.json, "status");
    if (!status.empty() && status != "valid") {
      return make_error(ErrorCode::kPermissionDenied,
                        "the acme account {} is {}: use another account key file", account, status);
    }
    return ok();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, "acme check failed unexpectedly: {}", e.what());
  }
}

Result<IssueOutcome> AcmeIssuer::issue(const IssueRequest& request) {
  try {
    return issue_order(request);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, "acme issuance for {} failed unexpectedly: {}",
                      request.device_name, e.what());
  }
}

Result<IssueOutcome> AcmeIssuer::retrieve(const std::string& ticket) {
  try {
    auto mark = ticket.rfind(kTicketKeyMark);
    if (mark == std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "'{}' is not an acme ticket of opencapf (order url{}<hex>)", ticket,
                        kTicketKeyMark);
    }
    std::string order_url = ticket.substr(0, mark);
    std::string fingerprint = ticket.substr(mark + kTicketKeyMark.size());
    CAPF_ASSIGN_OR_RETURN(Order order, fetch_order(order_url));
    return collect(order_url, order, fingerprint, nullptr);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, "acme retrieval of {} failed unexpectedly: {}", ticket,
                      e.what());
  }
}

Result<IssueOutcome> AcmeIssuer::issue_order(const IssueRequest& request) {
  if (!request.csr_der) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the acme issuer needs the phone-signed request for {}, and none was given",
                      request.device_name);
  }
  if (!supports(request.key)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the acme issuer is not configured for {} {} keys: add the key type to the "
                      "online ca's key types or ask the phone for another",
                      request.key.type == KeyType::kEc ? "ec" : "rsa", request.key.bits);
  }
  CAPF_ASSIGN_OR_RETURN(Bytes csr_key, pki::csr_public_key(*request.csr_der));
  if (csr_key != request.spki_der) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the signed request for {} carries another key than the phone's",
                      request.device_name);
  }
  std::string id = identifier(request.device_name);

  CAPF_ASSIGN_OR_RETURN(acme::Directory directory, client_->directory());
  nlohmann::json new_order = {
      {"identifiers", nlohmann::json::array({{{"type", "dns"}, {"value", id}}})}};
  CAPF_ASSIGN_OR_RETURN(acme::Reply created,
                        client_->post(directory.new_order, json_text(new_order), "new order"));
  std::string order_url = created.location;
  if (order_url.empty()) {
    return make_error(ErrorCode::kUnavailable,
                      "the acme server's answer to new order {} has no Location (order url)",
                      directory.new_order);
  }
  CAPF_ASSIGN_OR_RETURN(Order order, parse_order(created, order_url));

  if (order.status == "pending") {
    for (const std::string& authorization : order.authorizations)
      CAPF_TRY(authorize(authorization, id));
    CAPF_ASSIGN_OR_RETURN(order, fetch_order(order_url));
    CAPF_ASSIGN_OR_RETURN(order, wait_while("pending", order_url, std::move(order),
                                            SteadyClock::now() + polling_.authorization_wait));
    if (order.status == "pending") {
      return make_error(ErrorCode::kUnavailable,
                        "the acme order {} for {} is still pending after its authorizations "
                        "became valid",
                        order_url, id);
    }
  }
  if (order.status == "ready") {
    nlohmann::json finalize = {{"csr", acme::base64url(*request.csr_der)}};
    auto finalized = client_->post(order.finalize, json_text(finalize), "finalize");
    if (finalized && finalized->json.is_object()) {
      CAPF_ASSIGN_OR_RETURN(order, parse_order(*finalized, order_url));
    } else {
      // Without an order in the answer, or when the finalize failed, the order tells what the CA
      // did: a finalize whose answer was lost and was sent again is refused as orderNotReady
      // although the CA took the first one.
      auto now = fetch_order(order_url);
      if (!finalized && (!now || (now->status != "processing" && now->status != "valid")))
        return finalized.error();
      if (!now)
        return now.error();
      order = std::move(now).value();
    }
  }
  CAPF_ASSIGN_OR_RETURN(order, wait_while("processing", order_url, std::move(order),
                                          SteadyClock::now() + polling_.order_wait));
  return collect(order_url, order, pki::spki_fingerprint(request.spki_der), &request);
}

Status AcmeIssuer::authorize(const std::string& url, const std::string& identifier) {
  auto started = SteadyClock::now();
  auto deadline = started + polling_.authorization_wait;
  milliseconds interval = polling_.first_interval;
  bool asked = false;
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(acme::Reply reply, client_->post(url, "", "authorization"));
    const nlohmann::json& authz = reply.json;
    std::string status = text_of(authz, "status");
    const nlohmann::json* challenges =
        authz.is_object() && authz.contains("challenges") && authz["challenges"].is_array()
            ? &authz["challenges"]
            : nullptr;
    if (status == "valid")
      return ok();
    if (status == "invalid") {
      if (challenges != nullptr) {
        for (const auto& challenge : *challenges) {
          if (challenge.is_object() && challenge.contains("error")) {
            return order_error(
                challenge["error"],
                fmt::format("{} challenge for {} at", text_of(challenge, "type"), identifier),
                text_of(challenge, "url"));
          }
        }
      }
      return make_error(ErrorCode::kPermissionDenied,
                        "the acme ca refused the authorization {} for {} (it gave no reason)", url,
                        identifier);
    }
    if (status != "pending") {
      return make_error(ErrorCode::kPermissionDenied,
                        "the acme authorization {} for {} is '{}', not valid", url, identifier,
                        status);
    }
    if (!asked) {
      std::string offered;
      const nlohmann::json* http01 = nullptr;
      if (challenges != nullptr) {
        for (const auto& challenge : *challenges) {
          std::string type = text_of(challenge, "type");
          offered += (offered.empty() ? "" : ", ") + type;
          if (type == "http-01")
            http01 = &challenge;
        }
      }
      if (http01 == nullptr) {
        return make_error(ErrorCode::kPermissionDenied,
                          "the acme ca offers no http-01 challenge for {} (offered: {}); opencapf "
                          "needs a ca that validates phone names by policy",
                          identifier, offered.empty() ? "none" : offered);
      }
      // opencapf serves no challenge response: this only tells the CA to go ahead, and a CA set
      // to validate phone names by policy marks the authorization valid.
      if (text_of(*http01, "status") == "pending") {
        CAPF_ASSIGN_OR_RETURN(acme::Reply answered,
                              client_->post(text_of(*http01, "url"), "{}", "challenge"));
        (void)answered;
      }
      asked = true;
    }
    if (!pause_before_poll(reply.retry_after, interval, polling_.max_interval, deadline)) {
      return make_error(
          ErrorCode::kUnavailable,
          "the acme authorization {} for {} is still pending after {}: the acme ca must validate "
          "phone names by policy (opencapf cannot answer challenges for phones)",
          url, identifier,
          seconds_text(std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started)));
    }
  }
}

Result<AcmeIssuer::Order> AcmeIssuer::fetch_order(const std::string& url) {
  CAPF_ASSIGN_OR_RETURN(acme::Reply reply, client_->post(url, "", "order"));
  return parse_order(reply, url);
}

Result<AcmeIssuer::Order> AcmeIssuer::wait_while(std::string_view status, const std::string& url,
                                                 Order order, SteadyClock::time_point deadline) {
  milliseconds interval = polling_.first_interval;
  while (order.status == status &&
         pause_before_poll(order.retry_after, interval, polling_.max_interval, deadline)) {
    CAPF_ASSIGN_OR_RETURN(order, fetch_order(url));
  }
  return order;
}

Result<IssueOutcome> AcmeIssuer::collect(const std::string& order_url, const Order& order,
                                         const std::string& spki_fingerprint,
                                         const IssueRequest* request) {
  std::string ticket = order_url + std::string(kTicketKeyMark) + spki_fingerprint;
  if (order.status == "processing") {
    return IssueOutcome(
        PendingIssue{ticket, fmt::format("the acme ca is still processing order {}", order_url)});
  }
  if (order.status == "invalid")
    return order_error(order.error, "order", order_url);
  if (order.status != "valid") {
    return make_error(ErrorCode::kPermissionDenied,
                      "the acme order {} is '{}' where valid was expected: enrol the phone again",
                      order_url, order.status);
  }
  if (order.certificate.empty()) {
    return make_error(ErrorCode::kUnavailable, "the valid acme order {} names no certificate",
                      order_url);
  }
  CAPF_ASSIGN_OR_RETURN(acme::Reply download,
                        client_->post(order.certificate, "", "certificate download",
                                      "application/pem-certificate-chain"));
  auto certificates = pki::Certificate::all_from_pem(download.body);
  if (!certificates) {
    return make_error(ErrorCode::kUnavailable, "the acme certificate {} is not a pem chain: {}",
                      order.certificate, certificates.error().message);
  }
  pki::Certificate leaf = certificates->front();
  std::vector<pki::Certificate> intermediates(certificates->begin() + 1, certificates->end());
  if (request != nullptr) {
    CAPF_ASSIGN_OR_RETURN(Issued issued, accept_issued(leaf, intermediates, *request,
                                                       settings_.ca_chain, clock_.now()));
    return IssueOutcome(std::move(issued));
  }
  // A retrieval knows the phone's key by its fingerprint only.
  Bytes leaf_key = leaf.spki_der();
  if (pki::spki_fingerprint(leaf_key) != spki_fingerprint) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the CA returned a certificate ({}) for another key than the phone's",
                      leaf.subject());
  }
  IssueRequest known{leaf.common_name(), leaf_key, leaf.public_key().spec(), std::nullopt,
                     "retrieve"};
  CAPF_ASSIGN_OR_RETURN(
      Issued issued, accept_issued(leaf, intermediates, known, settings_.ca_chain, clock_.now()));
  return IssueOutcome(std::move(issued));
}

Result<AcmeIssuer::Order> AcmeIssuer::parse_order(const acme::Reply& reply,
                                                  const std::string& url) {
  const nlohmann::json& j = reply.json;
  AcmeIssuer::Order order;
  order.status = text_of(j, "status");
  if (order.status.empty()) {
    return make_error(ErrorCode::kUnavailable, "the acme server's order {} has no status: {}", url,
                      reply.body.substr(0, 160));
  }
  if (j.contains("authorizations") && j["authorizations"].is_array()) {
    for (const auto& a : j["authorizations"]) {
      if (a.is_string())
        order.authorizations.push_back(a.get<std::string>());
    }
  }
  order.finalize = text_of(j, "finalize");
  order.certificate = text_of(j, "certificate");
  if (j.contains("error"))
    order.error = j["error"];
  order.retry_after = reply.retry_after;
  return order;
}

}  // namespace capf
