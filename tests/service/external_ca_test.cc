// The external-CA flow of the enrollment service (docs/protocol.md §6.10, Online CA and Offline
// CA), driven message by message: the phone signs its request, the request is recorded before it
// goes to the CA, a certificate the CA signs later goes to the phone at its next contact.
#include "capf/issuer/offline/offline_ca_issuer.h"
#include "capf/pki/csr.h"
#include "capf/service/offline_admin.h"
#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

constexpr const char* kPhone = "SEP001122334455";

// A CA for these tests: it signs requests with its own root, or answers as a script says. (The
// real connectors are tested against real CA servers in tests/issuer/.)
class ScriptedCa final : public Issuer, public DeferredIssuer {
 public:
  ScriptedCa(const Clock& clock) : clock_(clock) {
    key_ = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
    root_ = *pki::make_capf_certificate(*key_, {"CN=Scripted CA,O=Example", 3650}, clock);
  }
  IssuerMode mode() const override { return IssuerMode::kOnline; }
  std::string describe() const override { return "online scripted"; }
  bool needs_signed_request() const override { return true; }
  bool supports(const KeySpec& key) const override { return key.type == KeyType::kRsa; }
  Result<IssueOutcome> issue(const IssueRequest& request) override {
    ++issued_calls;
    last_csr = request.csr_der.value_or(Bytes{});
    if (next_error) {
      Error e = *next_error;
      next_error.reset();
      return e;
    }
    if (hold)
      return IssueOutcome(PendingIssue{"ticket-1", "taken under submission (request id 1)"});
    return sign(request.device_name, request.spki_der);
  }
  Result<IssueOutcome> retrieve(const std::string& ticket) override {
    ++retrieve_calls;
    if (ticket != "ticket-1")
      return make_error(ErrorCode::kPermissionDenied, "unknown ticket");
    if (hold)
      return IssueOutcome(PendingIssue{ticket, "still pending"});
    if (deny)
      return make_error(ErrorCode::kPermissionDenied, "Denied by Policy Module  0x80094012");
    return sign(kPhone, *pki::csr_public_key(last_csr));
  }
  Result<IssueOutcome> sign(const std::string& device, const Bytes& spki) {
    auto cert = pki::issue_lsc({device, spki, pki::random_serial(), 30}, *root_, *key_, clock_);
    if (!cert)
      return cert.error();
    return IssueOutcome(Issued{*cert, {*root_}});
  }

  const Clock& clock_;
  std::optional<pki::PrivateKey> key_;
  std::optional<pki::Certificate> root_;
  std::optional<Error> next_error;
  bool hold = false;
  bool deny = false;
  int issued_calls = 0;
  int retrieve_calls = 0;
  Bytes last_csr;
};

class ExternalCa : public ServiceFixture {
 protected:
  void use(std::shared_ptr<Issuer> issuer) { issuers_->replace(std::move(issuer)); }

  void set_install(KeyOrder order = KeyOrder::kRsaOnly) {
    DeviceChange c;
    c.name = kPhone;
    c.operation = Operation::kInstall;
    c.auth_mode = AuthMode::kNullString;
    c.key_order = order;
    set(c);
  }

  // Runs a session up to the phone's signature; returns the decision after it.
  KeyDecision sign_session(const pki::PrivateKey& key, bool phone_signs = true) {
    s_ = session();
    OpenDecision d = service_->open(s_, auth_response(kPhone));
    EXPECT_EQ(d.kind, OpenDecision::Kind::kInstall) << d.log;
    ctx_ = *d.context;
    KeyDecision k = answer_key(s_, ctx_, key);
    EXPECT_EQ(k.kind, KeyDecision::Kind::kSign) << k.log;
    if (!phone_signs)
      return service_->request_signed(s_, ctx_, kRefused, std::nullopt);
    const protocol::HashedSignature signature{k.digest_type,
                                              *key.sign(pki::Hash::kSha256, k.request_info_der)};
    return service_->request_signed(s_, ctx_, kDone, signature);
  }

  // A session whose request `ca` takes under submission; the CA then stops holding it.
  void leave_pending(ScriptedCa& ca) {
    ca.hold = true;
    set_install();
    sign_session(*pki::PrivateKey::generate({KeyType::kRsa, 2048}));
    ca.hold = false;
  }

  // A session whose request the CA answers with `error`; returns the decision after it.
  KeyDecision session_the_ca_fails(Error error) {
    auto ca = std::make_shared<ScriptedCa>(clock_);
    ca->next_error = std::move(error);
    use(ca);
    set_install();
    return sign_session(*pki::PrivateKey::generate({KeyType::kRsa, 2048}));
  }

  std::vector<CertificateRequestRecord> requests() {
    RequestFilter f;
    f.device_name = kPhone;
    return *registry_->list_requests(f);
  }

  SessionInfo s_;
  EnrollmentContext ctx_;
};

TEST_F(ExternalCa, OnlineAnswerIsStoredInTheSameSession) {
  auto ca = std::make_shared<ScriptedCa>(clock_);
  use(ca);
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  KeyDecision k = sign_session(key);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kStore) << k.log;
  // The CA got a PKCS#10 the phone signed, for the phone's key, naming the device.
  auto spki = pki::csr_public_key(ca->last_csr);
  ASSERT_TRUE(spki);
  EXPECT_EQ(*spki, key.spki_der());
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].state, RequestState::kReady);
  EXPECT_NE(reqs[0].csr_pem.find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
  EXPECT_EQ(service_->stored(s_, ctx_, kDone), SessionEnd::kCertificateStored);
  EXPECT_EQ(requests()[0].state, RequestState::kDelivered);
  EXPECT_EQ(get(kPhone).status, OperationStatus::success(Operation::kInstall));
}

TEST_F(ExternalCa, PhoneThatCannotSignFailsClearly) {
  use(std::make_shared<ScriptedCa>(clock_));
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  KeyDecision k = sign_session(key, /*phone_signs=*/false);
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  Device d = get(kPhone);
  EXPECT_EQ(d.status.kind, StatusKind::kFailed);
  EXPECT_NE(d.status_detail.find("refused to sign its certificate request"), std::string::npos);
  EXPECT_TRUE(requests().empty());
}

TEST_F(ExternalCa, ASignatureByAnotherKeyIsRefusedBeforeTheCaSeesIt) {
  auto ca = std::make_shared<ScriptedCa>(clock_);
  use(ca);
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  s_ = session();
  ctx_ = *service_->open(s_, auth_response(kPhone)).context;
  KeyDecision k = answer_key(s_, ctx_, key);
  auto other = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  const protocol::HashedSignature signature{2, *other.sign(pki::Hash::kSha256, k.request_info_der)};
  EXPECT_EQ(service_->request_signed(s_, ctx_, kDone, signature).kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(ca->issued_calls, 0);
  EXPECT_NE(get(kPhone).status_detail.find("does not verify"), std::string::npos);
}

TEST_F(ExternalCa, KeysTheCaCannotIssueFailBeforeKeyGeneration) {
  use(std::make_shared<ScriptedCa>(clock_));  // RSA only
  set_install(KeyOrder::kEcOnly);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_NE(get(kPhone).status_detail.find("cannot issue any key"), std::string::npos);
  // EC preferred falls back to RSA without asking for EC at all.
  set_install(KeyOrder::kEcPreferredRsaBackup);
  d = service_->open(session(), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  EXPECT_EQ(d.context->key_plan, (std::vector<KeySpec>{{KeyType::kRsa, 2048}}));
}

TEST_F(ExternalCa, CaUnreachableIsCommunicationFailureAndKeepsTheRequest) {
  KeyDecision k = session_the_ca_fails(
      make_error(ErrorCode::kUnavailable, "https://ca/certsrv: connection refused"));
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kCaCommunicationFailure));
  EXPECT_NE(get(kPhone).status_detail.find("connection refused"), std::string::npos);
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].state, RequestState::kWaiting);
  EXPECT_EQ(reqs[0].last_error, "https://ca/certsrv: connection refused");
}

TEST_F(ExternalCa, CaRefusalIsRejectedConnectionWithTheCasWords) {
  KeyDecision k = session_the_ca_fails(
      make_error(ErrorCode::kPermissionDenied,
                 "the CA denied the request: Denied by Policy Module  0x80094800"));
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kCaRejectedConnection));
  EXPECT_NE(get(kPhone).status_detail.find("Denied by Policy Module  0x80094800"),
            std::string::npos);
  EXPECT_EQ(requests()[0].state, RequestState::kFailed);
}

TEST_F(ExternalCa, PendingRequestIsDeliveredAtALaterContact) {
  auto ca = std::make_shared<ScriptedCa>(clock_);
  ca->hold = true;
  use(ca);
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  KeyDecision k = sign_session(key);
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(k.end, SessionEnd::kWaitingForCa);  // the phone keeps its key
  EXPECT_EQ(get(kPhone).status, OperationStatus::pending());
  EXPECT_EQ(requests()[0].ticket, "ticket-1");
  // Next contact while the CA still holds it: no new key, nothing to do.
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(d.end, SessionEnd::kWaitingForCa);
  // The CA issues; the poller collects it; the next contact delivers it without a new key.
  ca->hold = false;
  EXPECT_EQ(service_->poll_pending_requests(), 1);
  EXPECT_EQ(requests()[0].state, RequestState::kReady);
  s_ = session();
  d = service_->open(s_, auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kDeliver) << d.log;
  auto delivered = pki::Certificate::from_der(d.certificate_der);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->spki_der(), key.spki_der());
  ctx_ = *d.context;
  EXPECT_EQ(service_->stored(s_, ctx_, kDone), SessionEnd::kCertificateStored);
  EXPECT_EQ(get(kPhone).status, OperationStatus::success(Operation::kInstall));
  EXPECT_EQ(requests()[0].state, RequestState::kDelivered);
}

TEST_F(ExternalCa, PendingRequestIsAskedForAtTheNextContactToo) {
  auto ca = std::make_shared<ScriptedCa>(clock_);
  use(ca);
  leave_pending(*ca);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kDeliver) << d.log;
  EXPECT_EQ(ca->retrieve_calls, 1);
}

TEST_F(ExternalCa, DeniedWhilePendingEndsTheRequest) {
  auto ca = std::make_shared<ScriptedCa>(clock_);
  use(ca);
  leave_pending(*ca);
  ca->deny = true;
  EXPECT_EQ(service_->poll_pending_requests(), 0);
  EXPECT_EQ(requests()[0].state, RequestState::kFailed);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kCaRejectedConnection));
}

TEST_F(ExternalCa, PhoneWithoutThePendingKeyStartsOver) {
  auto ca = std::make_shared<ScriptedCa>(clock_);
  use(ca);
  leave_pending(*ca);
  service_->poll_pending_requests();
  s_ = session();
  OpenDecision d = service_->open(s_, auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kDeliver);
  ctx_ = *d.context;
  EXPECT_EQ(service_->stored(s_, ctx_, kRefused), SessionEnd::kNotStored);
  EXPECT_EQ(requests()[0].state, RequestState::kFailed);
  // The next contact asks for a new key.
  EXPECT_EQ(service_->open(session(), auth_response(kPhone)).kind, OpenDecision::Kind::kInstall);
}

class OfflineCa : public ExternalCa {
 protected:
  void SetUp() override {
    ExternalCa::SetUp();
    ca_key_ = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
    ca_ = *pki::make_capf_certificate(*ca_key_, {"CN=Offline Root,O=Example", 3650}, clock_);
    use(std::make_shared<OfflineCaIssuer>(std::vector<KeySpec>{},
                                          std::vector<pki::Certificate>{*ca_}));
    offline_ = std::make_unique<OfflineAdmin>(*registry_, *trust_, clock_,
                                              std::vector<pki::Certificate>{*ca_});
  }
  // What the offline CA does with an exported request.
  pki::Certificate sign_exported(const std::string& csr_pem) {
    auto csr = std::string(csr_pem);
    auto spki = pki::csr_public_key(as_bytes(csr));
    return *pki::issue_lsc({kPhone, *spki, pki::random_serial(), 365}, *ca_, *ca_key_, clock_);
  }
  std::optional<pki::PrivateKey> ca_key_;
  std::optional<pki::Certificate> ca_;
  std::unique_ptr<OfflineAdmin> offline_;
};

TEST_F(OfflineCa, ExportSignImportDeliver) {
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  KeyDecision k = sign_session(key);
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(k.end, SessionEnd::kWaitingForCa);
  EXPECT_EQ(get(kPhone).status, OperationStatus::pending());
  EXPECT_EQ(*offline_->count(), 1);
  auto exported = offline_->export_requests(tmp_.path() / "export");
  ASSERT_TRUE(exported) << exported.error().message;
  ASSERT_EQ(exported->requests.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(tmp_.path() / "export" / "SEP001122334455.csr"));
  EXPECT_TRUE(std::filesystem::exists(exported->archive));
  pki::Certificate signed_cert = sign_exported(exported->requests[0].csr_pem);
  tmp_.write("signed.der", signed_cert.der());
  // Without the offline root in capf-trust the import refuses and changes nothing.
  auto refused = offline_->import({tmp_.path() / "signed.der"}, false, "cli:offline-admin");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->applied);
  EXPECT_EQ(refused->errors, 1);
  EXPECT_NE(refused->lines[0].outcome.find("does not chain to capf-trust"), std::string::npos);
  EXPECT_EQ(requests()[0].state, RequestState::kWaiting);
  AuditFilter by_importer;
  by_importer.actor = "cli:offline-admin";
  EXPECT_TRUE(registry_->list_audit(by_importer)->empty());
  ASSERT_TRUE(trust_->add(kCapfTrust, *ca_, "offline root"));
  auto imported = offline_->import({tmp_.path() / "signed.der"}, false, "cli:offline-admin");
  ASSERT_TRUE(imported);
  EXPECT_TRUE(imported->applied);
  EXPECT_EQ(imported->imported, 1);
  EXPECT_EQ(requests()[0].state, RequestState::kReady);
  auto audit = registry_->list_audit(by_importer);
  ASSERT_TRUE(audit && audit->size() == 1U);
  EXPECT_EQ((*audit)[0].action, "offline.import");
  EXPECT_EQ((*audit)[0].target, kPhone);
  EXPECT_NE((*audit)[0].after.find(signed_cert.serial_hex()), std::string::npos);
  // The ledger has it before the phone does.
  auto ledger = registry_->find_certificate(signed_cert.serial_hex());
  ASSERT_TRUE(ledger && *ledger);
  // The phone's next contact: delivered without a new key.
  s_ = session();
  OpenDecision d = service_->open(s_, auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kDeliver) << d.log;
  ctx_ = *d.context;
  EXPECT_EQ(service_->stored(s_, ctx_, kDone), SessionEnd::kCertificateStored);
  EXPECT_EQ(get(kPhone).status, OperationStatus::success(Operation::kInstall));
  EXPECT_EQ(get(kPhone).lsc->serial_hex, signed_cert.serial_hex());
}

TEST_F(OfflineCa, NothingIsImportedHalf) {
  ASSERT_TRUE(trust_->add(kCapfTrust, *ca_, "offline root"));
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  sign_session(key);
  pki::Certificate good = sign_exported(requests()[0].csr_pem);
  tmp_.write("good.pem", good.pem());
  tmp_.write("junk.pem", "not a certificate");
  auto report =
      offline_->import({tmp_.path() / "good.pem", tmp_.path() / "junk.pem"}, false, "cli:test");
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->applied);
  EXPECT_EQ(report->imported, 0);
  EXPECT_EQ(requests()[0].state, RequestState::kWaiting);
  // --partial takes the good one.
  report = offline_->import({tmp_.path() / "good.pem", tmp_.path() / "junk.pem"}, true, "cli:test");
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->applied);
  EXPECT_EQ(report->imported, 1);
  EXPECT_EQ(requests()[0].state, RequestState::kReady);
}

// The chain is asked for at each import: one that cannot be read refuses the import (changing
// nothing), and one set later (`opencapf issuer set` while the server runs) counts at once and is
// sent to the phone with its certificate.
TEST_F(OfflineCa, TheChainIsReadAtEachImport) {
  ASSERT_TRUE(trust_->add(kCapfTrust, *ca_, "offline root"));
  std::optional<std::vector<pki::Certificate>> chain;  // nullopt: the chain file is unreadable
  OfflineAdmin admin(*registry_, *trust_, clock_,
                     [&chain]() -> Result<std::vector<pki::Certificate>> {
                       if (!chain)
                         return make_error(ErrorCode::kInvalidArgument, "cannot read chain.pem");
                       return *chain;
                     });
  set_install();
  auto key = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  sign_session(key);
  pki::Certificate signed_cert = sign_exported(requests()[0].csr_pem);
  tmp_.write("signed.der", signed_cert.der());
  auto refused = admin.import({tmp_.path() / "signed.der"}, false, "cli:test");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("nothing imported: cannot read chain.pem"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(requests()[0].state, RequestState::kWaiting);
  chain = std::vector<pki::Certificate>{*ca_};
  auto imported = admin.import({tmp_.path() / "signed.der"}, false, "cli:test");
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(imported->imported, 1);
  EXPECT_EQ(requests()[0].state, RequestState::kReady);
  EXPECT_EQ(requests()[0].certificate_pem, signed_cert.pem() + ca_->pem());
}

TEST_F(OfflineCa, WaitingRequestBlocksNewKeysUntilTheAdminStartsOver) {
  ASSERT_TRUE(trust_->add(kCapfTrust, *ca_, "offline root"));
  set_install();
  auto first = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  sign_session(first);
  const std::string first_csr = requests()[0].csr_pem;
  // The phone comes back before the import: no new key (it would orphan the exported request).
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(d.end, SessionEnd::kWaitingForCa);
  // The admin sets the operation again (the phone lost its key, say): the request is superseded
  // and the next contact makes a new key and a new request.
  set_install();
  EXPECT_EQ(requests()[0].state, RequestState::kSuperseded);
  auto second = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  sign_session(second);
  auto all = requests();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].state, RequestState::kWaiting);
  // The offline CA signs the old request anyway: imported as stale, never delivered, listed.
  pki::Certificate late = sign_exported(first_csr);
  tmp_.write("late.pem", late.pem());
  auto report = offline_->import({tmp_.path() / "late.pem"}, false, "cli:test");
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->applied);
  EXPECT_EQ(report->stale, 1);
  EXPECT_EQ(report->imported, 0);
  auto stale = offline_->list(true);
  ASSERT_TRUE(stale);
  ASSERT_EQ(stale->size(), 1u);
  EXPECT_EQ(stale->front().certificate_serial, late.serial_hex());
  EXPECT_EQ(requests()[1].state, RequestState::kWaiting);
}

TEST_F(OfflineCa, ImportRejectsCertificatesNobodyAskedFor) {
  ASSERT_TRUE(trust_->add(kCapfTrust, *ca_, "offline root"));
  auto stranger = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
  auto cert = *pki::issue_lsc({kPhone, stranger.spki_der(), pki::random_serial(), 30}, *ca_,
                              *ca_key_, clock_);
  tmp_.write("stranger.pem", cert.pem());
  auto report = offline_->import({tmp_.path() / "stranger.pem"}, false, "cli:test");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->errors, 1);
  EXPECT_NE(report->lines[0].outcome.find("no request has the key"), std::string::npos);
}

}  // namespace
}  // namespace capf::testing
