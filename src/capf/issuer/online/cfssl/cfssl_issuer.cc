#include "capf/issuer/online/cfssl/cfssl_issuer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include <nlohmann/json.hpp>

#include "capf/common/strings.h"
#include "capf/issuer/online/json_text.h"
#include "capf/pki/csr.h"

namespace capf {

namespace {

using Json = nlohmann::json;

constexpr std::string_view kSignPath = "/api/v1/cfssl/sign";
constexpr std::string_view kAuthSignPath = "/api/v1/cfssl/authsign";
constexpr std::string_view kInfoPath = "/api/v1/cfssl/info";
// check() sends this as the certificate request: CFSSL checks the credentials before it decodes
// the CSR, so a CSR error (9000-9999) proves the credentials fit without issuing anything.
constexpr std::string_view kNotACsr = "opencapf prerequisite check: this is not a request";
constexpr int kFirstCsrError = 9000;
constexpr int kLastCsrError = 9999;

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

std::string csr_pem(ByteView der) {
  std::string b64 = base64(der);
  std::string pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64)
    pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE REQUEST-----\n";
}

Result<Bytes> hmac_sha256(ByteView key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ByteView bytes = as_bytes(data);
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes.data(), bytes.size(), mac,
           &length) == nullptr) {
    return make_error(ErrorCode::kCrypto, "openssl could not compute the cfssl hmac token");
  }
  return Bytes(mac, mac + length);
}

// The start of a body for a message: one line, printable, at most 120 characters.
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : trim(body).substr(0, 120))
    out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  return out.empty() ? "an empty body" : fmt::format("\"{}\"", out);
}

// CFSSL's envelope: {"success": bool, "result": ..., "errors": [{"code": n, "message": "..."}]}.
struct Reply {
  bool success = false;
  Json result;
  std::vector<std::pair<int, std::string>> errors;
};

Result<Reply> parse_reply(const HttpResponse& response, const std::string& url) {
  try {
    Json doc = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("success") || !doc["success"].is_boolean()) {
      if (response.status == 401 || response.status == 403) {
        return make_error(ErrorCode::kPermissionDenied,
                          "cfssl refused the request: {} answered HTTP {} with {} (check the "
                          "credentials of the proxy in front of cfssl)",
                          url, response.status, excerpt(response.body));
      }
      return make_error(ErrorCode::kUnavailable,
                        "cfssl answered with something that is not its API: {} answered HTTP {} "
                        "with {} (the issuer url must be cfssl's base url, such as "
                        "http://ca.example.net:8888)",
                        url, response.status, excerpt(response.body));
    }
    Reply reply;
    reply.success = doc["success"].get<bool>();
    if (doc.contains("result"))
      reply.result = doc["result"];
    if (doc.contains("errors") && doc["errors"].is_array()) {
      for (const Json& e : doc["errors"]) {
        if (!e.is_object())
          continue;
        int code = e.contains("code") && e["code"].is_number_integer() ? e["code"].get<int>() : 0;
        std::string message = e.contains("message") && e["message"].is_string()
                                  ? e["message"].get<std::string>()
                                  : json_text(e);
        reply.errors.emplace_back(code, std::move(message));
      }
    }
    return reply;
  } catch (const Json::exception& e) {
    return make_error(ErrorCode::kUnavailable,
                      "cfssl answered with something that is not its API: {}: {}", url, e.what());
  }
}

// What to change for the refusals an admin can fix.
std::string hint(const std::string& message, const std::string& profile) {
  if (message == "invalid token") {
    return fmt::format(
        " (the secret is not the auth key of cfssl profile \"{}\": set the issuer secret to the "
        "hex key of that profile's auth_key)",
        profile);
  }
  if (message == "authentication required") {
    return fmt::format(
        " (cfssl profile \"{}\" has an auth_key: set the issuer secret to its hex key)", profile);
  }
  if (message == "no authentication provider") {
    return fmt::format(
        " (cfssl profile \"{}\" has no auth_key, or cfssl does not know the profile: remove the "
        "issuer secret, or check the profile name and its auth_key in the cfssl config)",
        profile);
  }
  return "";
}

Error refused(const Reply& reply, const HttpResponse& response, const std::string& profile) {
  if (reply.errors.empty()) {
    return make_error(ErrorCode::kPermissionDenied,
                      "cfssl refused the request: HTTP {} without an error message",
                      response.status);
  }
  std::string words;
  for (const auto& [code, message] : reply.errors)
    words += fmt::format("{}{} {}", words.empty() ? "" : "; ", code, message);
  return make_error(ErrorCode::kPermissionDenied, "cfssl refused the request: {}{}", words,
                    hint(reply.errors.front().second, profile));
}

// The PEM certificate in the result of a successful reply (sign or info), parsed.
Result<pki::Certificate> result_certificate(const Json& result, const std::string& url) {
  if (!result.is_object() || !result.contains("certificate") ||
      !result["certificate"].is_string()) {
    return make_error(ErrorCode::kUnavailable,
                      "cfssl answered with something that is not its API: {} reported success "
                      "without a certificate",
                      url);
  }
  auto cert = pki::Certificate::from_pem(result["certificate"].get<std::string>());
  if (!cert) {
    return make_error(ErrorCode::kUnavailable,
                      "cfssl answered with something that is not its API: {} returned a "
                      "certificate that does not parse: {}",
                      url, cert.error().message);
  }
  return cert;
}

bool default_key_type(const KeySpec& key) {
  switch (key.type) {
    case KeyType::kRsa:
      return key.bits == 2048 || key.bits == 3072 || key.bits == 4096;
    case KeyType::kEc:
      return key.bits == 256 || key.bits == 384;
  }
  return false;
}

}  // namespace

CfsslIssuer::CfsslIssuer(OnlineCaSettings settings, std::string base_url, Bytes auth_key,
                         std::unique_ptr<HttpClient> http, const Clock& clock)
    : settings_(std::move(settings)),
      base_url_(std::move(base_url)),
      auth_key_(std::move(auth_key)),
      http_(std::move(http)),
      clock_(clock) {}

Result<std::unique_ptr<CfsslIssuer>> CfsslIssuer::create(OnlineCaSettings settings,
                                                         const Clock& clock) {
  std::string base_url = settings.url;
  while (!base_url.empty() && base_url.back() == '/')
    base_url.pop_back();
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cfssl url \"{}\" is not http:// or https://: set it to cfssl's base url, "
                      "such as http://ca.example.net:8888",
                      settings.url);
  }
  if (settings.ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no CA chain is configured for cfssl: set it to the CA certificate cfssl "
                      "signs with (its -ca), then that CA's issuers");
  }
  Bytes auth_key;
  if (settings.secret) {
    auto key = from_hex(trim(*settings.secret));
    if (!key || key->empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the cfssl secret is not a hex key: set it to the key of the profile's "
                        "auth_key in the cfssl config, in hex as cfssl holds it");
    }
    auth_key = std::move(*key);
  }
  CAPF_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::create(settings.http));
  return std::unique_ptr<CfsslIssuer>(new CfsslIssuer(std::move(settings), std::move(base_url),
                                                      std::move(auth_key), std::move(http), clock));
}

std::string CfsslIssuer::describe() const {
  return fmt::format("online cfssl {} (profile {})", base_url_,
                     settings_.profile.empty() ? "default" : settings_.profile);
}

bool CfsslIssuer::supports(const KeySpec& key) const {
  if (settings_.key_types.empty())
    return default_key_type(key);
  return std::find(settings_.key_types.begin(), settings_.key_types.end(), key) !=
         settings_.key_types.end();
}

Result<IssueOutcome> CfsslIssuer::issue(const IssueRequest& request) {
  if (!request.csr_der) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cfssl needs the certificate request the phone signs (spec 6.10), and none "
                      "came for {}",
                      request.device_name);
  }
  if (!supports(request.key)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} does not issue {} keys: ask the phone for a key type it supports",
                      describe(), to_string(request.key));
  }
  CAPF_ASSIGN_OR_RETURN(Bytes csr_key, pki::csr_public_key(*request.csr_der));
  if (csr_key != request.spki_der) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the certificate request for {} carries another key than the phone's",
                      request.device_name);
  }
  Json sign = {{"certificate_request", csr_pem(*request.csr_der)}};
  if (!settings_.profile.empty())
    sign["profile"] = settings_.profile;
  CAPF_ASSIGN_OR_RETURN(HttpResponse response, post_sign(json_text(sign)));
  const std::string endpoint = url(auth_key_.empty() ? kSignPath : kAuthSignPath);
  CAPF_ASSIGN_OR_RETURN(Reply reply, parse_reply(response, endpoint));
  if (!reply.success || response.status >= 400)
    return refused(reply, response, settings_.profile.empty() ? "default" : settings_.profile);
  CAPF_ASSIGN_OR_RETURN(pki::Certificate certificate, result_certificate(reply.result, endpoint));
  auto issued = accept_issued(certificate, {}, request, settings_.ca_chain, clock_.now());
  if (!issued)
    return issued.error().with_context("cfssl");
  return IssueOutcome(std::move(issued).value());
}

Status CfsslIssuer::check() {
  const std::string profile = settings_.profile.empty() ? "default" : settings_.profile;
  // CFSSL's info for a profile, as a result object.
  auto info = [this](const std::string& name) -> Result<Json> {
    Json ask = Json::object();
    if (!name.empty())
      ask["profile"] = name;
    CAPF_ASSIGN_OR_RETURN(HttpResponse response, post(kInfoPath, json_text(ask)));
    CAPF_ASSIGN_OR_RETURN(Reply reply, parse_reply(response, url(kInfoPath)));
    if (!reply.success || response.status >= 400)
      return refused(reply, response, name.empty() ? "default" : name);
    return reply.result;
  };

  CAPF_ASSIGN_OR_RETURN(Json asked, info(settings_.profile));
  CAPF_ASSIGN_OR_RETURN(pki::Certificate signer, result_certificate(asked, url(kInfoPath)));
  const pki::Certificate& configured = settings_.ca_chain.front();
  if (!(signer == configured)) {
    if (signer.subject() == configured.subject()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cfssl signs with another certificate of \"{}\" (sha256 {}) than the "
                        "configured one (sha256 {}): the CA was re-created or re-keyed; set the "
                        "issuer's CA chain to cfssl's current CA certificate, then its issuers",
                        signer.subject(), signer.fingerprint_sha256(),
                        configured.fingerprint_sha256());
    }
    return make_error(ErrorCode::kInvalidArgument,
                      "cfssl signs with \"{}\" (sha256 {}), but the configured CA chain starts "
                      "with \"{}\" (sha256 {}): set the issuer's CA chain to cfssl's CA "
                      "certificate first, then its issuers",
                      signer.subject(), signer.fingerprint_sha256(), configured.subject(),
                      configured.fingerprint_sha256());
  }

  // Without a secret nothing else tells a profile CFSSL does not know (with one, the probe below
  // fails with "no authentication provider" unless the default profile has the same key).
  const bool has_policy =
      asked.is_object() && (asked.contains("usages") || asked.contains("expiry"));
  if (!settings_.profile.empty() && auth_key_.empty() && has_policy) {
    CAPF_ASSIGN_OR_RETURN(Json fallback, info(""));
    if (fallback.is_object() && asked.value("usages", Json()) == fallback.value("usages", Json()) &&
        asked.value("expiry", Json()) == fallback.value("expiry", Json())) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cfssl answers for profile \"{}\" exactly as for its default profile "
                        "(usages {}, expiry {}): cfssl signs with the default for a profile it "
                        "does not know; check the profile name in the cfssl config, or leave the "
                        "profile empty to use the default",
                        profile, json_text(asked.value("usages", Json())),
                        json_text(asked.value("expiry", Json())));
    }
  }

  Json probe = {{"certificate_request", std::string(kNotACsr)}};
  if (!settings_.profile.empty())
    probe["profile"] = settings_.profile;
  CAPF_ASSIGN_OR_RETURN(HttpResponse response, post_sign(json_text(probe)));
  const std::string endpoint = url(auth_key_.empty() ? kSignPath : kAuthSignPath);
  CAPF_ASSIGN_OR_RETURN(Reply reply, parse_reply(response, endpoint));
  const bool csr_refused_only =
      !reply.errors.empty() &&
      std::all_of(reply.errors.begin(), reply.errors.end(), [](const auto& e) {
        return e.first >= kFirstCsrError && e.first <= kLastCsrError;
      });
  if (!csr_refused_only)
    return refused(reply, response, profile);
  return ok();
}

Result<HttpResponse> CfsslIssuer::post_sign(const std::string& sign_request) {
  if (auth_key_.empty())
    return post(kSignPath, sign_request);
  CAPF_ASSIGN_OR_RETURN(Bytes token, hmac_sha256(auth_key_, sign_request));
  Json wrapped = {{"token", base64(token)}, {"request", base64(as_bytes(sign_request))}};
  return post(kAuthSignPath, json_text(wrapped));
}

Result<HttpResponse> CfsslIssuer::post(std::string_view path, const std::string& body) {
  auto response =
      http_->send(HttpRequest{"POST", url(path), {{"Content-Type", "application/json"}}, body});
  if (!response)
    return response.error().with_context("cfssl");
  return response;
}

}  // namespace capf
