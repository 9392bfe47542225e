#include "capf/issuer/online/http_client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

#include "capf/common/strings.h"

namespace capf {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    response->headers.clear();  // a new response (after a redirect or an NTLM round trip)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = trim(line.substr(colon + 1));
    response->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

// Installs the configured anchors as the only trust of the TLS connection.
CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* user) {
  const auto* options = static_cast<const HttpClientOptions*>(user);
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr)
    return CURLE_OUT_OF_MEMORY;
  for (const auto& anchor : options->trust)
    X509_STORE_add_cert(store, anchor.get());
  // The CA's web-server certificate itself may be the anchor (CUCM's "HTTPS certificate").
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  SSL_CTX_set_cert_store(static_cast<SSL_CTX*>(ssl_ctx), store);
  return CURLE_OK;
}

bool is_network_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

bool is_tls_trust_error(CURLcode code) {
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_ISSUER_ERROR;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return "";
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {}
HttpClient::~HttpClient() {
  for (void* handle : idle_)
    curl_easy_cleanup(handle);
}

void* HttpClient::take_handle() {
  {
    std::lock_guard lock(idle_mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpClient::give_back(void* handle) {
  // Options go (they point into the finished call); open connections and caches stay.
  curl_easy_reset(handle);
  std::lock_guard lock(idle_mu_);
  idle_.push_back(handle);
}

Result<std::unique_ptr<HttpClient>> HttpClient::create(const HttpClientOptions& options) {
  global_init();
  if (options.retries < 0 || options.timeout.count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "http client: retries must be >= 0 and the "
                      "timeout positive");
  }
  return std::unique_ptr<HttpClient>(new HttpClient(options));
}

std::string HttpClient::form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  std::chrono::milliseconds backoff = options_.retry_backoff;
  for (int attempt = 0;; ++attempt) {
    CurlPtr curl(take_handle());
    if (!curl)
      return make_error(ErrorCode::kInternal, "libcurl could not start a transfer");
    HttpResponse response;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count() * 1000));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count() * 1000));
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_host ? 2L : 0L);
    // Only the configured anchors: no system bundle.
    curl_easy_setopt(c, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &options_);
    switch (options_.auth) {
      case HttpAuth::kNone:
        break;
      case HttpAuth::kBasic:
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
        break;
      case HttpAuth::kNtlm:
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_NTLM));
        curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
        break;
    }
    SlistPtr headers;
    for (const auto& [k, v] : request.headers) {
      std::string line = k + ": " + v;
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    }
    if (headers)
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    if (request.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body.empty()) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
      }
    }
    CURLcode code = curl_easy_perform(c);
    if (code == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
      give_back(curl.release());
      return response;
    }
    std::string reason = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    if (is_tls_trust_error(code)) {
      // OpenSSL verifies the chain in the handshake, and libcurl records its verdict when the
      // chain fails. libcurl checks the host name after a good handshake and fails before it
      // records anything, leaving its initial "not verified" (1): then the chain was trusted and
      // the name is what to fix; adding anchors would not help.
      constexpr long kCurlNotRecorded = 1;
      long chain_result = X509_V_OK;
      curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &chain_result);
      const bool chain_trusted = chain_result == X509_V_OK || chain_result == kCurlNotRecorded;
      if (code == CURLE_PEER_FAILED_VERIFICATION && options_.verify_host && chain_trusted) {
        return make_error(ErrorCode::kUntrusted,
                          "{}: the CA's HTTPS certificate does not match the host name in the url: "
                          "{} (use the name the certificate carries in the url, or reissue the web "
                          "server certificate with this name in its subjectAltName)",
                          request.url, reason);
      }
      return make_error(ErrorCode::kUntrusted,
                        "{}: the CA's HTTPS certificate is not trusted: {} (add the CA's web "
                        "server certificate or its issuer to capf-trust)",
                        request.url, reason);
    }
    // A request that may have reached the CA is not sent again unless it is safe to repeat: a
    // resent POST could submit a certificate request twice.
    const bool never_sent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                            code == CURLE_COULDNT_RESOLVE_PROXY;
    const bool repeatable = request.method == "GET" || request.method == "HEAD" || never_sent;
    if (!is_network_error(code) || !repeatable || attempt >= options_.retries) {
      return make_error(ErrorCode::kUnavailable, "{}: {}{}", request.url, reason,
                        attempt > 0 ? fmt::format(" (after {} attempts)", attempt + 1) : "");
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

}  // namespace capf
