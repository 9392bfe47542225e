// AcmeClient: the ACME (RFC 8555) conversation with one CA — the directory, the replay nonces, the
// account, and signed requests — without any knowledge of orders or phones.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "capf/common/result.h"
#include "capf/issuer/online/acme/jws.h"
#include "capf/issuer/online/http_client.h"

namespace capf::acme {

// The resources of RFC 8555 §7.1.1 that opencapf uses.
struct Directory {
  std::string new_nonce;
  std::string new_account;
  std::string new_order;
  bool external_account_required = false;
};

// A successful (2xx) answer of the ACME server.
struct Reply {
  long status = 0;
  std::string location;     // Location header ("" if none)
  std::string retry_after;  // Retry-After header ("" if none)
  std::string body;
  nlohmann::json json;  // the body when it is JSON, null otherwise
};

struct AcmeClientOptions {
  std::string directory_url;
  std::filesystem::path account_key_file;
  std::string email;  // the account's mailto: contact; none when empty
  HttpClientOptions http;
};

// Every call blocks on the network; all are thread-safe. The directory, the account key and the
// account URL are fetched once and cached; replay nonces are pooled and each used once.
//
// Errors, the same for every call:
//   kUnavailable       network failure or timeout (from HttpClient), a 5xx answer without a
//                      problem document, or an answer that is not ACME (no nonce, not JSON)
//   kUntrusted         the server's HTTPS certificate does not verify against the configured trust
//   kPermissionDenied  the CA refused: any problem document, as "acme <type>: <detail> (<what>
//                      <url>)" with the CA's own words, or a 4xx answer without one
//   kInvalidArgument / kIo / kPermissionDenied from the account key file (see acme_account.h)
class AcmeClient {
 public:
  static Result<std::unique_ptr<AcmeClient>> create(AcmeClientOptions options);

  // GET of the directory (RFC 8555 §7.1.1), cached after the first success.
  Result<Directory> directory();

  // The account URL ("kid"): loads or creates the account key, then newAccount with
  // termsOfServiceAgreed (the CA answers with the existing account for a known key). Cached.
  Result<std::string> account();

  // The cached account URL, "" before account() succeeded.
  std::string cached_account_url() const;

  // A JWS-signed POST with the account's kid to `url`; `payload` is JSON text, "" for a
  // POST-as-GET. `what` names the step in error messages ("new order", "finalize"). A badNonce
  // problem is retried once with the nonce that came with it; an accountDoesNotExist problem
  // (the CA forgot the account) registers again once. `accept` sets the Accept header.
  Result<Reply> post(const std::string& url, std::string_view payload, std::string_view what,
                     std::string_view accept = {});

 private:
  struct Session {
    Directory directory;
    std::shared_ptr<const JwsSigner> signer;
    std::string account_url;
  };

  explicit AcmeClient(AcmeClientOptions options, std::unique_ptr<HttpClient> http)
      : options_(std::move(options)), http_(std::move(http)) {}

  Result<Session> session();
  Result<Directory> directory_locked();
  Result<std::string> register_account(const Directory& directory, const JwsSigner& signer);
  void forget_account(const std::string& account_url);

  // Signs and sends one POST (kid empty: with the jwk), retrying once on badNonce. Any HTTP answer
  // is returned as it is; only transport errors fail.
  Result<HttpResponse> send_signed(const Directory& directory, const JwsSigner& signer,
                                   std::string_view kid, const std::string& url,
                                   std::string_view payload, std::string_view accept);
  Result<std::string> take_nonce(const Directory& directory);
  Result<std::string> fetch_nonce(const Directory& directory);
  void keep_nonce(const HttpResponse& response);
  void drop_nonces();

  AcmeClientOptions options_;
  std::unique_ptr<HttpClient> http_;

  // Guards the one-time setup (directory, key, account) so only one thread registers.
  mutable std::mutex setup_mutex_;
  std::optional<Directory> directory_;
  std::shared_ptr<const JwsSigner> signer_;
  std::string account_url_;

  std::mutex nonce_mutex_;
  std::vector<std::string> nonces_;  // bounded by kMaxPooledNonces
};

// Reads a problem document (RFC 7807, RFC 8555 §6.7) as "<type>: <detail>" with its subproblems;
// nullopt when `response` is not one.
struct Problem {
  std::string type;
  std::string detail;
};
std::optional<Problem> problem_of(const HttpResponse& response);
std::optional<Problem> problem_of(const nlohmann::json& document);

// The string member `name` of an ACME object; "" when `j` is not an object or the member is
// missing or not a string.
std::string text_of(const nlohmann::json& j, const char* name);

}  // namespace capf::acme
