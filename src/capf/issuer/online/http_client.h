// HttpClient: the one outbound HTTP(S) client of the online-CA connectors (libcurl). TLS to a CA
// is verified against the anchors it is given (CAPF-trust: the CA's web-server certificate or its
// issuer; no system bundle) and the host name, as CUCM does.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"

namespace capf {

enum class HttpAuth { kNone, kBasic, kNtlm };

struct HttpClientOptions {
  // Anchors for HTTPS: a chain that ends at any of them is trusted (partial chains allowed, so
  // the CA's web-server certificate itself may be the anchor). Empty: HTTPS is refused.
  std::vector<pki::Certificate> trust;
  bool verify_host = true;
  HttpAuth auth = HttpAuth::kNone;
  std::string username;
  std::string password;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{20};  // each exchange, connect included
  int retries = 2;  // after a network failure (never after an HTTP answer; a POST only when it
                    // was never sent)
  std::chrono::milliseconds retry_backoff{500};  // doubles after each retry
  std::string user_agent = "Mozilla/5.0 (compatible; opencapf)";
};

struct HttpRequest {
  std::string method = "GET";  // GET, POST, HEAD
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // The first header with this (lower-case) name, or "".
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  // kInvalidArgument when libcurl refuses an option.
  static Result<std::unique_ptr<HttpClient>> create(const HttpClientOptions& options);
  ~HttpClient();

  // Blocks for at most (retries + 1) × timeout plus the backoffs. Any HTTP status is a success
  // here (callers decide). Errors, each naming the URL and libcurl's reason:
  //   kUnavailable  connection refused, DNS failure, timeout, connection reset (after retries)
  //   kUntrusted    the server's certificate does not verify against the anchors, or its name
  //                 does not match the host
  // Thread-safe: each call takes an idle libcurl handle, with the connections it keeps open, or a
  // new one, and gives it back after an answer. The next request to the same CA reuses an open
  // connection (keep-alive), and an NTLM-authenticated connection (AD CS) stays authenticated
  // instead of a new handshake per request. A handle whose exchange failed is dropped.
  Result<HttpResponse> send(const HttpRequest& request);

  // application/x-www-form-urlencoded encoding of one value.
  static std::string form_encode(std::string_view value);

 private:
  explicit HttpClient(HttpClientOptions options);
  // An idle handle reset to no options (it keeps its connections), or a new one; null when
  // libcurl cannot make one.
  void* take_handle();
  void give_back(void* handle);

  HttpClientOptions options_;
  std::mutex idle_mu_;
  std::vector<void*> idle_;  // CURL* handles between requests
};

}  // namespace capf
