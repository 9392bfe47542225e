#include "capf/issuer/online/acme/acme_client.h"

#include <algorithm>

#include "capf/common/strings.h"
#include "capf/issuer/online/acme/acme_account.h"
#include "capf/issuer/online/json_text.h"

namespace capf::acme {

namespace {

constexpr std::size_t kMaxPooledNonces = 16;
constexpr std::string_view kBadNonce = "urn:ietf:params:acme:error:badNonce";
constexpr std::string_view kAccountDoesNotExist = "urn:ietf:params:acme:error:accountDoesNotExist";
constexpr std::string_view kJoseJson = "application/jose+json";

// The first line of a body, for messages about answers that are not ACME.
std::string excerpt(std::string_view body) {
  std::string_view line = body.substr(0, std::min<std::size_t>(body.find('\n'), 160));
  return line.empty() ? "(empty body)" : std::string(line);
}

Error problem_error(const Problem& problem, std::string_view what, std::string_view url) {
  return make_error(ErrorCode::kPermissionDenied, "acme {}: {} ({} {})", problem.type,
                    problem.detail, what, url);
}

// Turns an HTTP answer into a Reply or the error the header describes.
Result<Reply> to_reply(HttpResponse response, std::string_view what, std::string_view url) {
  if (auto problem = problem_of(response))
    return problem_error(*problem, what, url);
  if (response.status >= 500) {
    return make_error(ErrorCode::kUnavailable, "acme server answered http {} to {} {}: {}",
                      response.status, what, url, excerpt(response.body));
  }
  if (response.status >= 300) {
    return make_error(ErrorCode::kPermissionDenied, "acme server refused {} {} with http {}: {}",
                      what, url, response.status, excerpt(response.body));
  }
  Reply reply;
  reply.status = response.status;
  reply.location = response.header("location");
  reply.retry_after = response.header("retry-after");
  if (starts_with_ci(response.header("content-type"), "application/json")) {
    reply.json = nlohmann::json::parse(response.body, nullptr, false);
    if (reply.json.is_discarded()) {
      return make_error(ErrorCode::kUnavailable,
                        "the acme server's answer to {} {} is not json: {}", what, url,
                        excerpt(response.body));
    }
  }
  reply.body = std::move(response.body);
  return reply;
}

}  // namespace

std::string text_of(const nlohmann::json& j, const char* name) {
  if (j.is_object()) {
    auto it = j.find(name);
    if (it != j.end() && it->is_string())
      return it->get<std::string>();
  }
  return "";
}

std::optional<Problem> problem_of(const nlohmann::json& document) {
  if (!document.is_object())
    return std::nullopt;
  Problem problem{text_of(document, "type"), text_of(document, "detail")};
  if (problem.type.empty())
    problem.type = "about:blank";
  auto sub = document.find("subproblems");
  if (sub != document.end() && sub->is_array()) {
    for (const auto& item : *sub) {
      std::string id = item.is_object() && item.contains("identifier")
                           ? text_of(item["identifier"], "value")
                           : std::string();
      problem.detail += fmt::format("; {}{}: {}", id.empty() ? "" : id + " ", text_of(item, "type"),
                                    text_of(item, "detail"));
    }
  }
  if (problem.detail.empty())
    problem.detail = "(the ca gave no detail)";
  return problem;
}

std::optional<Problem> problem_of(const HttpResponse& response) {
  if (!starts_with_ci(response.header("content-type"), "application/problem+json"))
    return std::nullopt;
  auto document = nlohmann::json::parse(response.body, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return Problem{"about:blank",
                   fmt::format("http {}: {}", response.status, excerpt(response.body))};
  return problem_of(document);
}

Result<std::unique_ptr<AcmeClient>> AcmeClient::create(AcmeClientOptions options) {
  CAPF_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::create(options.http));
  return std::unique_ptr<AcmeClient>(new AcmeClient(std::move(options), std::move(http)));
}

Result<Directory> AcmeClient::directory() {
  std::lock_guard lock(setup_mutex_);
  return directory_locked();
}

Result<Directory> AcmeClient::directory_locked() {
  if (directory_)
    return *directory_;
  const std::string& url = options_.directory_url;
  CAPF_ASSIGN_OR_RETURN(HttpResponse response, http_->send(HttpRequest{"GET", url, {}, {}}));
  CAPF_ASSIGN_OR_RETURN(Reply reply, to_reply(std::move(response), "directory", url));
  Directory directory{text_of(reply.json, "newNonce"), text_of(reply.json, "newAccount"),
                      text_of(reply.json, "newOrder"), false};
  if (directory.new_nonce.empty() || directory.new_account.empty() || directory.new_order.empty()) {
    return make_error(ErrorCode::kUnavailable,
                      "{} is not an acme directory (it lacks newNonce, newAccount or newOrder): "
                      "set the url to the CA's acme directory url",
                      url);
  }
  if (reply.json.contains("meta") && reply.json["meta"].is_object()) {
    auto eab = reply.json["meta"].find("externalAccountRequired");
    directory.external_account_required =
        eab != reply.json["meta"].end() && eab->is_boolean() && eab->get<bool>();
  }
  if (directory.external_account_required) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the acme ca at {} requires external account binding, which opencapf does "
                      "not support: allow accounts without it for opencapf",
                      url);
  }
  directory_ = directory;
  return directory;
}

Result<AcmeClient::Session> AcmeClient::session() {
  std::lock_guard lock(setup_mutex_);
  CAPF_ASSIGN_OR_RETURN(Directory directory, directory_locked());
  if (!signer_) {
    CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key,
                          load_or_create_account_key(options_.account_key_file));
    auto signer = JwsSigner::create(key);
    if (!signer)
      return signer.error().with_context(options_.account_key_file.string());
    signer_ = std::make_shared<const JwsSigner>(std::move(signer).value());
  }
  if (account_url_.empty()) {
    CAPF_ASSIGN_OR_RETURN(account_url_, register_account(directory, *signer_));
  }
  return Session{directory, signer_, account_url_};
}

Result<std::string> AcmeClient::account() {
  CAPF_ASSIGN_OR_RETURN(Session s, session());
  return s.account_url;
}

std::string AcmeClient::cached_account_url() const {
  std::lock_guard lock(setup_mutex_);
  return account_url_;
}

void AcmeClient::forget_account(const std::string& account_url) {
  std::lock_guard lock(setup_mutex_);
  if (account_url_ == account_url)
    account_url_.clear();
}

Result<std::string> AcmeClient::register_account(const Directory& directory,
                                                 const JwsSigner& signer) {
  nlohmann::json payload = nlohmann::json::object();
  payload["termsOfServiceAgreed"] = true;
  if (!options_.email.empty())
    payload["contact"] = nlohmann::json::array({"mailto:" + options_.email});
  std::string body = json_text(payload);
  CAPF_ASSIGN_OR_RETURN(HttpResponse response,
                        send_signed(directory, signer, "", directory.new_account, body, {}));
  CAPF_ASSIGN_OR_RETURN(Reply reply,
                        to_reply(std::move(response), "new account", directory.new_account));
  if (reply.location.empty()) {
    return make_error(ErrorCode::kUnavailable,
                      "the acme server's answer to new account {} has no Location (account url)",
                      directory.new_account);
  }
  std::string status = text_of(reply.json, "status");
  if (!status.empty() && status != "valid") {
    return make_error(ErrorCode::kPermissionDenied,
                      "the acme account {} is {}: use another account key file", reply.location,
                      status);
  }
  return reply.location;
}

Result<Reply> AcmeClient::post(const std::string& url, std::string_view payload,
                               std::string_view what, std::string_view accept) {
  for (int attempt = 0;; ++attempt) {
    CAPF_ASSIGN_OR_RETURN(Session s, session());
    CAPF_ASSIGN_OR_RETURN(HttpResponse response,
                          send_signed(s.directory, *s.signer, s.account_url, url, payload, accept));
    auto problem = problem_of(response);
    if (problem && problem->type == kAccountDoesNotExist && attempt == 0) {
      forget_account(s.account_url);  // the CA lost it (a test CA restarted): register again
      continue;
    }
    return to_reply(std::move(response), what, url);
  }
}

Result<HttpResponse> AcmeClient::send_signed(const Directory& directory, const JwsSigner& signer,
                                             std::string_view kid, const std::string& url,
                                             std::string_view payload, std::string_view accept) {
  CAPF_ASSIGN_OR_RETURN(std::string nonce, take_nonce(directory));
  for (int attempt = 0;; ++attempt) {
    CAPF_ASSIGN_OR_RETURN(std::string body, signer.sign(url, nonce, kid, payload));
    HttpRequest request{"POST", url, {{"Content-Type", std::string(kJoseJson)}}, std::move(body)};
    if (!accept.empty())
      request.headers.emplace_back("Accept", std::string(accept));
    CAPF_ASSIGN_OR_RETURN(HttpResponse response, http_->send(request));
    auto problem = problem_of(response);
    if (!problem || problem->type != kBadNonce || attempt > 0) {
      keep_nonce(response);
      return response;
    }
    // The pooled nonces are likely as stale as this one: retry once with the fresh one the
    // rejection carries (RFC 8555 §6.5), or a new one.
    drop_nonces();
    nonce = response.header("replay-nonce");
    if (nonce.empty()) {
      CAPF_ASSIGN_OR_RETURN(nonce, fetch_nonce(directory));
    }
  }
}

Result<std::string> AcmeClient::take_nonce(const Directory& directory) {
  {
    std::lock_guard lock(nonce_mutex_);
    if (!nonces_.empty()) {
      std::string nonce = std::move(nonces_.back());
      nonces_.pop_back();
      return nonce;
    }
  }
  return fetch_nonce(directory);
}

Result<std::string> AcmeClient::fetch_nonce(const Directory& directory) {
  CAPF_ASSIGN_OR_RETURN(HttpResponse response,
                        http_->send(HttpRequest{"HEAD", directory.new_nonce, {}, {}}));
  std::string nonce = response.header("replay-nonce");
  if (response.status >= 400 || nonce.empty()) {
    return make_error(ErrorCode::kUnavailable,
                      "the acme server gave no Replay-Nonce at {} (http {})", directory.new_nonce,
                      response.status);
  }
  return nonce;
}

void AcmeClient::keep_nonce(const HttpResponse& response) {
  std::string nonce = response.header("replay-nonce");
  if (nonce.empty())
    return;
  std::lock_guard lock(nonce_mutex_);
  if (nonces_.size() >= kMaxPooledNonces)
    nonces_.erase(nonces_.begin());  // the oldest is the likeliest to have expired
  nonces_.push_back(std::move(nonce));
}

void AcmeClient::drop_nonces() {
  std::lock_guard lock(nonce_mutex_);
  nonces_.clear();
}

}  // namespace capf::acme
