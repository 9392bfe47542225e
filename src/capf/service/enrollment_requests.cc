// EnrollmentService, second half: the external-CA flow (docs/protocol.md §6.10, Online CA and
// Offline CA). A phone-signed request is recorded in the registry's request queue before it goes to
// the CA; a certificate the CA returns is recorded in the ledger before it goes to the phone; a
// request the CA holds keeps the phone's key pending until a later contact.
#include <sys/random.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "capf/pki/csr.h"
#include "capf/pki/key.h"
#include "capf/service/enrollment_internal.h"
#include "capf/service/enrollment_service.h"

namespace capf {

namespace {

std::string new_request_id() {
  unsigned char bytes[12];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    std::memcpy(bytes, &t, sizeof t < sizeof bytes ? sizeof t : sizeof bytes);
  }
  return to_hex(ByteView(bytes, sizeof bytes));
}

// The leaf of a PEM chain as DER, or nothing.
std::optional<pki::Certificate> leaf_of(const std::string& pem) {
  auto certs = pki::Certificate::all_from_pem(pem);
  if (!certs || certs->empty())
    return std::nullopt;
  return certs->front();
}

}  // namespace

std::string EnrollmentService::request_subject(const std::string& common_name) const {
  // CN first, then the organisational attributes of the CAPF subject ("CN=CAPF-x, O=Example").
  std::string subject = "CN=" + common_name;
  const std::string capf = identity_.current()->certificate.subject();
  std::size_t pos = 0;
  while (pos < capf.size()) {
    std::size_t end = capf.find(", ", pos);
    std::string part = capf.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? capf.size() : end + 2;
    for (const char* prefix : {"O=", "OU=", "L=", "ST=", "C="}) {
      if (part.rfind(prefix, 0) == 0) {
        std::string escaped;
        for (char ch : part) {
          if (ch == ',')
            escaped.push_back('\\');
          escaped.push_back(ch);
        }
        subject += "," + escaped;
      }
    }
  }
  return subject;
}

Status EnrollmentService::record_issued(const std::string& session, const std::string& device,
                                        const pki::Certificate& cert, const std::string& key_spec,
                                        const std::optional<std::string>& request_id,
                                        const std::vector<pki::Certificate>& chain,
                                        bool* claim_lost) {
  IssuedCertificate record;
  record.serial_hex = cert.serial_hex();
  record.device_name = device;
  record.issuer = cert.issuer();
  record.subject = cert.subject();
  record.key_spec = key_spec;
  record.not_before = cert.not_before();
  record.not_after = cert.not_after();
  record.pem = cert.pem();
  record.state = CertificateState::kIssued;
  record.issued_at = clock_.now();
  record.state_time = record.issued_at;
  record.session = session;
  // The ledger entry (and the request's certificate) is durable before a byte of it leaves CAPF,
  // and is written only while the session still holds the device's claim.
  return registry_.transact([&]() -> Status {
    if (claim_lost != nullptr)
      CAPF_TRY(require_claim(session, device, *claim_lost));
    CAPF_TRY(registry_.record_issued(record));
    if (request_id) {
      CAPF_ASSIGN_OR_RETURN(std::optional<CertificateRequestRecord> request,
                            registry_.find_request(*request_id));
      if (request) {
        std::string pem = cert.pem();
        for (const auto& c : chain)
          pem += c.pem();
        request->state = RequestState::kReady;
        request->certificate_pem = std::move(pem);
        request->certificate_serial = record.serial_hex;
        request->last_error.clear();
        CAPF_TRY(registry_.update_request(*request));
      }
    }
    return registry_.append_event(
        DeviceEvent{device, record.issued_at, session, "issued",
                    fmt::format("serial {} ({}) by {}, valid until {}", record.serial_hex, key_spec,
                                record.issuer, format_utc(record.not_after))});
  });
}

KeyDecision EnrollmentService::issue(const SessionInfo& session, EnrollmentContext& ctx,
                                     const IssueRequest& request) {
  const auto asked = std::chrono::steady_clock::now();
  auto outcome = ctx.issuer->issue(request);
  metrics_.record_issuer_call(to_string(ctx.issuer->mode()), outcome.has_value(),
                              std::chrono::steady_clock::now() - asked);
  if (!outcome) {
    const Error& e = outcome.error();
    if (ctx.request_id) {
      auto record = registry_.find_request(*ctx.request_id);
      if (record && *record) {
        // A CA that cannot be reached keeps the request; one that refused ends it.
        if (e.code == ErrorCode::kPermissionDenied)
          (*record)->state = RequestState::kFailed;
        (*record)->last_error = e.message;
        (*record)->attempts += 1;
        Status u = registry_.update_request(**record);
        if (!u)
          spdlog::error("session {}: {}", session.id_hex(), u.error().message);
      }
    }
    set_status(session, ctx, OperationStatus::failed(ctx.operation, detail::ca_failure_reason(e)),
               "issuing failed: " + e.message, false);
    return detail::ending<KeyDecision>(SessionEnd::kIssuingFailed, "issuing failed: " + e.message);
  }
  if (const auto* pending = std::get_if<PendingIssue>(&*outcome)) {
    // The CA holds the request (offline, or "taken under submission"): the phone keeps its key
    // and receives the certificate at a later contact.
    if (ctx.request_id) {
      auto record = registry_.find_request(*ctx.request_id);
      if (record && *record) {
        (*record)->ticket = pending->ticket;
        (*record)->attempts += ctx.issuer->mode() == IssuerMode::kOnline ? 1 : 0;
        Status u = registry_.update_request(**record);
        if (!u)
          spdlog::error("session {}: {}", session.id_hex(), u.error().message);
      }
    }
    Status s = update_device(
        ctx.device,
        [&](Device& d) {
          detail::record_status(d, ctx, OperationStatus::pending(), clock_.now(), pending->detail,
                                false);
        },
        session, "pending", pending->detail);
    if (!s)
      spdlog::error("session {}: {}", session.id_hex(), s.error().message);
    log_finished(session, ctx, OperationStatus::pending(), pending->detail);
    return detail::ending<KeyDecision>(SessionEnd::kWaitingForCa, pending->detail);
  }
  const Issued& issued = std::get<Issued>(*outcome);
  bool lost = false;
  Status recorded = record_issued(session.id_hex(), ctx.device.str(), issued.certificate,
                                  to_string(request.key), ctx.request_id, issued.chain, &lost);
  if (lost)
    return claim_lost(session, ctx);
  if (!recorded) {
    std::string why = "cannot record the issued certificate: " + recorded.error().message;
    set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kInternalError, why);
  }
  ctx.issued_serial = issued.certificate.serial_hex();
  KeyDecision d;
  d.kind = KeyDecision::Kind::kStore;
  d.certificate_der = issued.certificate.der();
  d.log = fmt::format("issued serial {}", *ctx.issued_serial);
  return d;
}

KeyDecision EnrollmentService::check_signed(
    const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
    const std::optional<protocol::HashedSignature>& signature) {
  if (!answer.done || !signature) {
    std::string why = fmt::format(
        "the phone refused to sign its certificate request (reason {}): {} mode needs phones "
        "that support SIGN_CERTIFICATE_REQUEST; use `opencapf issuer set --mode capf` for this "
        "phone model",
        answer.reason, to_string(ctx.issuer->mode()));
    set_status(session, ctx,
               OperationStatus::failed(ctx.operation, FailureReason::kKeyGenerationFailed), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kSigningFailed, why);
  }
  auto hash = pki::hash_from_id(signature->hash_id);
  auto csr = hash ? pki::assemble_csr(ctx.request_info, *hash, signature->signature)
                  : Result<Bytes>(hash.error());
  if (!csr) {
    std::string why = "the phone's signature over its certificate request does not verify: " +
                      csr.error().message;
    set_status(session, ctx,
               OperationStatus::failed(ctx.operation, FailureReason::kKeyGenerationFailed), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kSigningFailed, why);
  }
  // The queue keeps the request without the issuer's secret (SCEP's challenge password).
  auto stored = ctx.issuer->stored_request(*csr);
  if (!stored) {
    std::string why = "cannot record the certificate request: " + stored.error().message;
    set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kInternalError, why);
  }
  const KeySpec key = ctx.current_key();
  CertificateRequestRecord record;
  record.id = new_request_id();
  record.device_name = ctx.device.str();
  record.mode = std::string(to_string(ctx.issuer->mode()));
  record.ca = ctx.issuer->describe();
  record.key_spec = to_string(key);
  record.csr_pem = pki::pem_encode("CERTIFICATE REQUEST", *stored);
  record.spki_fingerprint = pki::spki_fingerprint(ctx.spki);
  record.state = RequestState::kWaiting;
  record.session = session.id_hex();
  // The request is durable (and supersedes the device's older ones) before it goes to the CA,
  // and is written only while the session still holds the device's claim.
  bool lost = false;
  Status inserted = registry_.transact([&]() -> Status {
    CAPF_TRY(require_claim(session.id_hex(), ctx.device.str(), lost));
    return registry_.insert_request(record);
  });
  if (lost)
    return claim_lost(session, ctx);
  if (!inserted) {
    std::string why = "cannot record the certificate request: " + inserted.error().message;
    set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kInternalError, why);
  }
  ctx.request_id = record.id;
  IssueRequest request{ctx.device.str(), ctx.spki, key, *csr, session.id_hex()};
  return issue(session, ctx, request);
}

Result<IssueOutcome> EnrollmentService::ask_ca(Issuer& issuer, CertificateRequestRecord& request) {
  request.attempts += 1;
  if (!request.ticket.empty()) {
    // The CA holds it: ask about it.
    auto* deferred = dynamic_cast<DeferredIssuer*>(&issuer);
    if (deferred == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "request {} has a CA ticket but the configured issuer ({}) cannot look "
                        "requests up",
                        request.id, issuer.describe());
    }
    auto outcome = deferred->retrieve(request.ticket);
    // The ticket alone does not say which key the CA certified: check it against the request.
    if (outcome && std::holds_alternative<Issued>(*outcome)) {
      const pki::Certificate& cert = std::get<Issued>(*outcome).certificate;
      if (pki::spki_fingerprint(cert.spki_der()) != request.spki_fingerprint) {
        return make_error(ErrorCode::kPermissionDenied,
                          "the CA returned a certificate ({}) for another key than request {}",
                          cert.subject(), request.id);
      }
    }
    return outcome;
  }
  // The CA never took it (it could not be reached): send the recorded request again.
  CAPF_ASSIGN_OR_RETURN(Bytes csr_der, pki::pem_decode("CERTIFICATE REQUEST", request.csr_pem));
  CAPF_ASSIGN_OR_RETURN(Bytes spki, pki::csr_public_key(csr_der));
  CAPF_ASSIGN_OR_RETURN(KeySpec key, parse_key_spec(request.key_spec));
  auto outcome = issuer.issue(IssueRequest{request.device_name, spki, key, csr_der, "resend"});
  if (outcome) {
    if (const auto* pending = std::get_if<PendingIssue>(&*outcome))
      request.ticket = pending->ticket;
  }
  return outcome;
}

std::optional<OpenDecision> EnrollmentService::resume_request(const SessionInfo& session,
                                                              EnrollmentContext& ctx) {
  auto found = registry_.open_request(ctx.device.str());
  if (!found || !*found) {
    if (!found)
      spdlog::error("session {}: {}", session.id_hex(), found.error().message);
    return std::nullopt;
  }
  CertificateRequestRecord request = **found;
  if (request.state == RequestState::kWaiting && request.mode == to_string(IssuerMode::kOnline) &&
      ctx.issuer->mode() == IssuerMode::kOnline) {
    // Ask the CA again now: it may have issued a held request, or be reachable again.
    auto outcome = ask_ca(*ctx.issuer, request);
    if (outcome && std::holds_alternative<Issued>(*outcome)) {
      const Issued& issued = std::get<Issued>(*outcome);
      Status s = record_issued(session.id_hex(), request.device_name, issued.certificate,
                               request.key_spec, request.id, issued.chain);
      if (!s)
        spdlog::error("session {}: {}", session.id_hex(), s.error().message);
      auto again = registry_.find_request(request.id);
      if (s && again && *again)
        request = **again;
    } else {
      if (!outcome) {
        request.last_error = outcome.error().message;
        if (outcome.error().code == ErrorCode::kPermissionDenied)
          request.state = RequestState::kFailed;
      }
      Status u = registry_.update_request(request);
      if (!u)
        spdlog::error("session {}: {}", session.id_hex(), u.error().message);
      if (request.state == RequestState::kFailed) {
        set_status(session, ctx,
                   OperationStatus::failed(ctx.operation, FailureReason::kCaRejectedConnection),
                   "the CA denied request " + request.id + ": " + request.last_error, false);
        return detail::ending<OpenDecision>(SessionEnd::kCaDenied, "the CA denied the request");
      }
      if (!outcome) {
        set_status(
            session, ctx,
            OperationStatus::failed(ctx.operation, detail::ca_failure_reason(outcome.error())),
            "request " + request.id + " is kept; the CA: " + request.last_error, false);
        return detail::ending<OpenDecision>(SessionEnd::kCaUnreachable, "the CA cannot be reached");
      }
    }
  }
  if (request.state == RequestState::kReady) {
    std::optional<pki::Certificate> leaf = leaf_of(request.certificate_pem);
    if (!leaf) {
      spdlog::error("session {} device {}: request {} holds no readable certificate",
                    session.id_hex(), ctx.device.str(), request.id);
      return std::nullopt;
    }
    ctx.request_id = request.id;
    ctx.issued_serial = leaf->serial_hex();
    OpenDecision d;
    d.kind = OpenDecision::Kind::kDeliver;
    d.certificate_der = leaf->der();
    d.log = fmt::format("delivering the certificate the CA signed for request {}", request.id);
    d.context = ctx;
    return d;
  }
  if (request.state == RequestState::kWaiting && request.mode == to_string(ctx.issuer->mode())) {
    // Still with the CA: no new key (it would supersede the request), nothing to do yet.
    return detail::ending<OpenDecision>(
        SessionEnd::kWaitingForCa,
        fmt::format("request {} still waits for the {} CA", request.id, request.mode));
  }
  // A request of another mode (the admin switched modes): the new request will supersede it.
  return std::nullopt;
}

int EnrollmentService::poll_pending_requests() {
  std::shared_ptr<Issuer> issuer = issuers_.current();
  if (issuer->mode() != IssuerMode::kOnline)
    return 0;
  RequestFilter filter;
  filter.mode = to_string(IssuerMode::kOnline);
  filter.state = RequestState::kWaiting;
  auto waiting = registry_.list_requests(filter);
  if (!waiting) {
    spdlog::error("polling the online CA: {}", waiting.error().message);
    return 0;
  }
  int arrived = 0;
  for (CertificateRequestRecord& request : *waiting) {
    auto outcome = ask_ca(*issuer, request);
    if (outcome && std::holds_alternative<Issued>(*outcome)) {
      const Issued& issued = std::get<Issued>(*outcome);
      Status s = record_issued("poll", request.device_name, issued.certificate, request.key_spec,
                               request.id, issued.chain);
      if (s) {
        ++arrived;
        spdlog::info(
            "request {} for {}: the CA issued serial {}; it goes to the phone at its "
            "next contact",
            request.id, request.device_name, issued.certificate.serial_hex());
      } else {
        spdlog::error("request {}: {}", request.id, s.error().message);
      }
      continue;
    }
    if (!outcome) {
      request.last_error = outcome.error().message;
      if (outcome.error().code == ErrorCode::kPermissionDenied) {
        request.state = RequestState::kFailed;
        auto name = DeviceName::parse_stored(request.device_name);
        if (name) {
          SessionInfo poll_session{0, "poll", ""};
          Status s = update_device(
              *name,
              [&](Device& d) {
                d.status = OperationStatus::failed(Operation::kInstall,
                                                   FailureReason::kCaRejectedConnection);
                d.status_time = clock_.now();
                d.status_detail = "the CA denied request " + request.id + ": " + request.last_error;
              },
              poll_session, "status", "the CA denied the request: " + request.last_error);
          if (!s)
            spdlog::error("request {}: {}", request.id, s.error().message);
        }
      }
    }
    Status u = registry_.update_request(request);
    if (!u)
      spdlog::error("request {}: {}", request.id, u.error().message);
  }
  return arrived;
}

}  // namespace capf
