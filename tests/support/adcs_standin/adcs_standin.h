// AdcsStandin: a stand-in for Microsoft AD CS web enrollment ("certsrv" on IIS), because no
// Windows server can run in the tests. It follows docs/spec/adcs-web-enrollment.md: every page
// under /certsrv/, HTTP 200 for every business outcome, the exact strings and link shapes clients
// match, certnew.cer / certnew.p7b (with the BEGIN CERTIFICATE quirk) / certcarc.asp, Mode=chkpnd,
// and IIS's authentication — NTLM bound to the TCP connection (Negotiate listed first), Basic, or
// both.
//
// HTTPS on 127.0.0.1 with a certificate issued by its own test CA; the CA signs requests per
// template as configured by the test: "issue" (answered at once), "pending" (until approve() or
// deny()), "deny" (with a disposition message). It counts what it served so tests can assert what
// happened. Test support only: the stand-in must stay a faithful peer, never a convenient one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "iis_auth.h"
#include "ntlm_server.h"
#include "standin_ca.h"
#include "standin_http.h"

namespace capf::testing {

enum class TemplateBehaviour { kIssue, kPending, kDeny };

struct StandinOptions {
  NtlmAccount account;  // the one account that may log on (NTLM and Basic)
  StandinAuth auth = StandinAuth::kNtlm;
  std::string ca_name = "Example Issuing CA";
  std::uint16_t port = 0;   // 0: any free port
  int validity_days = 365;  // what the templates give issued certificates
  std::chrono::seconds io_timeout{30};
};

// What the stand-in served since it started.
struct StandinStats {
  int connections = 0;          // TLS connections that reached HTTP
  int home_pages = 0;           // GET /certsrv/
  int new_requests = 0;         // certfnsh.asp Mode=newreq
  int pending_checks = 0;       // certfnsh.asp Mode=chkpnd
  int certificate_fetches = 0;  // certnew.cer
  int chain_fetches = 0;        // certnew.p7b
  int ca_pages = 0;             // certcarc.asp
  int challenges = 0;           // 401 offering the schemes (no usable credentials sent)
  int ntlm_challenges = 0;      // NTLM type 2 messages sent
  int ntlm_logons = 0;          // NTLM type 3 messages that verified
  int basic_logons = 0;         // Basic credentials that verified
  int refused_logons = 0;       // NTLM or Basic credentials that did not verify
  int issued = 0;
  int pending = 0;
  int denied = 0;
};

class AdcsStandin {
 public:
  // Creates the CA and listens. kIo when the port is taken.
  static Result<std::unique_ptr<AdcsStandin>> start(StandinOptions options);
  ~AdcsStandin();

  // Stops serving: open connections are closed and the port refuses new ones.
  void stop();
  std::uint16_t port() const { return port_; }
  std::string url() const;  // "https://127.0.0.1:<port>/certsrv"

  const pki::Certificate& ca_certificate() const { return ca_->root(); }
  const pki::Certificate& tls_certificate() const { return ca_->tls_certificate(); }

  // The templates the CA offers. `deny_message` is the disposition message of kDeny (a default
  // CERTSRV_E_TEMPLATE_DENIED message when empty).
  void set_template(const std::string& name, TemplateBehaviour behaviour,
                    const std::string& deny_message = "");
  // A CA administrator's decision on a pending request; false when `request_id` is not pending.
  bool approve(int request_id);
  bool deny(int request_id, const std::string& disposition);

  StandinStats stats() const;
  int last_request_id() const;                           // 0 before the first request
  std::map<std::string, std::string> last_form() const;  // last certfnsh.asp POST, names lower-case
  std::vector<std::string> log() const;                  // refused logons and other remarks

 private:
  friend class StandinConnection;

  enum class State { kIssued, kPending, kDenied };
  struct Template {
    TemplateBehaviour behaviour = TemplateBehaviour::kIssue;
    std::string deny_message;
  };
  struct Request {
    State state = State::kPending;
    std::string template_name;
    Bytes csr_der;
    std::optional<pki::Certificate> certificate;
    std::string disposition;  // denied: the disposition message
    std::string last_status;  // denied: the status line with its code
  };

  AdcsStandin(StandinOptions options, std::unique_ptr<StandinCa> ca);

  // Everything below runs on the server thread and takes mutex_ itself.
  StandinReply serve(const StandinRequest& request, NtlmHandshake& ntlm);
  AuthDecision authenticate(const StandinRequest& request, NtlmHandshake& ntlm);
  StandinReply enroll(const std::map<std::string, std::string>& form);
  StandinReply new_request(const std::map<std::string, std::string>& form);
  StandinReply check_pending(const std::string& id);
  StandinReply certificate(const std::map<std::string, std::string>& query, bool chain);
  StandinReply page(std::string body) const;
  StandinReply status_page(const std::string& disposition, const std::string& last_status) const;
  int record_denied(Request request, std::string disposition, std::string last_status);
  void remark(std::string line);

  StandinOptions options_;
  IisAuthentication auth_;  // reads options_.account
  std::unique_ptr<StandinCa> ca_;
  std::unique_ptr<HttpsServer> server_;
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;
  std::map<std::string, Template> templates_;  // names lower-case (AD CS compares ignoring case)
  std::map<int, Request> requests_;
  int next_id_ = 100;
  StandinStats stats_;
  std::map<std::string, std::string> last_form_;
  std::vector<std::string> log_;
};

}  // namespace capf::testing
