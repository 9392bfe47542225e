// AcmeIssuer: Online CA mode through an ACME (RFC 8555) CA. The phone-signed PKCS#10
// (docs/protocol.md §6.10) asks for one dNSName, the device name in lower case plus a configured
// suffix; opencapf orders a certificate for it, finalizes the order with the phone's request and
// returns what the CA issued.
//
// Validation: opencapf cannot answer http-01 (or any) challenge for a phone, so it only asks the
// CA to validate and waits. The ACME CA must therefore authorize these names by policy: step-ca
// with a provisioner that skips validation, pebble with PEBBLE_VA_ALWAYS_VALID=1, or an ACME server
// with pre-authorized identifiers. A public CA (Let's Encrypt and the like) will not issue for
// phone names.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "capf/common/clock.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/online/acme/acme_client.h"
#include "capf/issuer/online/online_ca_settings.h"

namespace capf {

// How long the connector waits on the CA (steady time, not the Clock: waits are not dates).
struct AcmePolling {
  std::chrono::milliseconds authorization_wait{60'000};  // pending authorization → valid
  std::chrono::milliseconds order_wait{60'000};   // finalized order → valid, then PendingIssue
  std::chrono::milliseconds first_interval{200};  // between polls without Retry-After; doubles
  std::chrono::milliseconds max_interval{2'000};

  static AcmePolling for_settings(const OnlineCaSettings& settings);  // 3 × settings.http.timeout
};

class AcmeIssuer final : public Issuer, public DeferredIssuer, public CheckableIssuer {
 public:
  // settings.url is the directory URL (https). kInvalidArgument when it is not https, or when no
  // ca_chain or no acme_account_key_file is configured. No I/O: the CA is first contacted by
  // issue() or check(). The first form polls as AcmePolling::for_settings(settings).
  static Result<std::unique_ptr<AcmeIssuer>> create(OnlineCaSettings settings, const Clock& clock);
  static Result<std::unique_ptr<AcmeIssuer>> create(OnlineCaSettings settings, const Clock& clock,
                                                    AcmePolling polling);

  std::string describe() const override { return "online acme " + settings_.url; }
  IssuerMode mode() const override { return IssuerMode::kOnline; }
  bool needs_signed_request() const override { return true; }
  // settings.key_types when given, else RSA 2048/3072/4096 and EC P-256/P-384.
  bool supports(const KeySpec& key) const override;
  // {identifier, {identifier}, no challenge}, identifier = identifier(device_name).
  RequestTemplate request_template(const std::string& device_name) const override;

  // newOrder for identifier(device_name), each authorization asked to validate and awaited,
  // finalize with request.csr_der, then the certificate once the order is valid, checked with
  // accept_issued() against settings.ca_chain. PendingIssue{ticket, detail} when the order is still
  // processing after polling.order_wait. Errors as Issuer::issue() and AcmeClient; in particular
  // kPermissionDenied "acme <type>: <detail> (...)" for every problem the CA reports, including a
  // challenge that failed, and kUnavailable for an authorization still pending after
  // polling.authorization_wait. kInvalidArgument without csr_der, for an unsupported key, or a
  // request whose key is not the phone's. Blocks; thread-safe (sessions may call it at once).
  Result<IssueOutcome> issue(const IssueRequest& request) override;

  // Looks once at the order the ticket names: Issued when valid (checked as in issue()), the same
  // PendingIssue while it is processing, kPermissionDenied when the CA made it invalid. Blocks.
  Result<IssueOutcome> retrieve(const std::string& ticket) override;

  // What `opencapf issuer set` runs before switching to this issuer: fetches the directory (once
  // per instance), loads (or creates) the account key, registers (or finds) the account, and reads
  // the account back with a signed POST-as-GET, which must say "valid". Errors as issue(). Blocks.
  Status check() override;

  // The account URL once issue() or check() has found it, "" before.
  std::string account_url() const { return client_->cached_account_url(); }

  // The dNSName the order is for: the device name in lower case, then the configured suffix with
  // a dot between them ("sep001122334455.phones.example.net"), or the bare name without a suffix.
  std::string identifier(const std::string& device_name) const;

 private:
  struct Order;

  AcmeIssuer(OnlineCaSettings settings, const Clock& clock, AcmePolling polling,
             std::unique_ptr<acme::AcmeClient> client)
      : settings_(std::move(settings)),
        clock_(clock),
        polling_(polling),
        client_(std::move(client)) {}

  Result<IssueOutcome> issue_order(const IssueRequest& request);
  Status authorize(const std::string& url, const std::string& identifier);
  static Result<Order> parse_order(const acme::Reply& reply, const std::string& url);
  Result<Order> fetch_order(const std::string& url);
  Result<Order> wait_while(std::string_view status, const std::string& url, Order order,
                           std::chrono::steady_clock::time_point deadline);
  Result<IssueOutcome> collect(const std::string& order_url, const Order& order,
                               const std::string& spki_fingerprint, const IssueRequest* request);

  OnlineCaSettings settings_;
  const Clock& clock_;
  AcmePolling polling_;
  std::unique_ptr<acme::AcmeClient> client_;
};

}  // namespace capf
