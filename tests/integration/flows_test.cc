// Every phone flow of docs/protocol.md §6 over real loopback TLS: the in-process server (the same
// Daemon that `opencapf serve` runs) against the simulated phone, with the issued LSCs checked by
// OpenSSL.
#include <thread>

#include "capf/pki/profiles.h"
#include "capf/pki/verify.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/integration/server_fixture.h"

namespace capf::testing {
namespace {

constexpr const char* kPhone = "SEP001122334455";

class Flows : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    start();
  }

  // Installs with the given key settings and checks the LSC against the CAPF certificate both
  // with pki and with the openssl command line.
  void expect_install(KeyOrder order, int rsa_bits, int ec_bits, KeySpec expect) {
    DeviceChange c = install(kPhone);
    c.key_order = order;
    c.rsa_bits = rsa_bits;
    c.ec_bits = ec_bits;
    set(c);
    auto r = run_phone(kPhone);
    ASSERT_EQ(r.exit_code, 0) << last_transcript_;
    ASSERT_TRUE(r.installed);
    EXPECT_EQ(r.installed->public_key().spec(), expect);
    const auto& capf = daemon_->identity().certificate;
    EXPECT_TRUE(pki::lsc_profile_problems(*r.installed, capf, kPhone).empty());
    auto capf_file = root_ / "capf.pem";
    std::ofstream(capf_file) << capf.pem();
    auto [code, out] = run_shell("openssl verify -CAfile " + capf_file.string() + " " +
                                 (root_ / ("phone-" + std::string(kPhone)) / "lsc.pem").string());
    EXPECT_EQ(code, 0) << out;
    Device d = device(kPhone);
    EXPECT_EQ(d.status, OperationStatus::success(Operation::kInstall));
    ASSERT_TRUE(d.lsc);
    EXPECT_EQ(d.lsc->serial_hex, r.installed->serial_hex());
  }

  // The administrator's change that sets `operation` for kPhone.
  static DeviceChange change_to(Operation operation) {
    DeviceChange c;
    c.name = kPhone;
    c.operation = operation;
    return c;
  }

  // kPhone gets an LSC, then the administrator sets `operation` for it.
  void install_then(Operation operation) {
    set(install(kPhone));
    ASSERT_EQ(run_phone(kPhone).exit_code, 0) << last_transcript_;
    set(change_to(operation));
  }

  // An install by the authentication string 123456 for kPhone, and the options of a phone that
  // answers `answer`.
  phone::PhoneOptions install_by_string_answering(const std::string& answer) {
    DeviceChange c = install(kPhone, AuthMode::kAuthString);
    c.auth_string = "123456";
    set(c);
    auto o = phone_options(kPhone);
    o.auth_string = answer;
    return o;
  }

  // An install with key order `order` by a phone that refuses EC keys.
  phone::SessionReport install_on_a_phone_without_ec(KeyOrder order) {
    DeviceChange c = install(kPhone);
    c.key_order = order;
    set(c);
    auto o = phone_options(kPhone);
    o.support_ec = false;
    return run_phone(o);
  }
};

struct InstallCase {
  const char* name;
  KeyOrder order;
  int rsa_bits;
  int ec_bits;
  KeySpec expect;
};

class FlowsInstall : public Flows, public ::testing::WithParamInterface<InstallCase> {};

TEST_P(FlowsInstall, InstallsTheKeyOfTheDevicesSettings) {
  const InstallCase& c = GetParam();
  expect_install(c.order, c.rsa_bits, c.ec_bits, c.expect);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKey, FlowsInstall,
    ::testing::Values(InstallCase{"Rsa1024", KeyOrder::kRsaOnly, 1024, 256, {KeyType::kRsa, 1024}},
                      InstallCase{"Rsa2048", KeyOrder::kRsaOnly, 2048, 256, {KeyType::kRsa, 2048}},
                      InstallCase{"Rsa3072", KeyOrder::kRsaOnly, 3072, 256, {KeyType::kRsa, 3072}},
                      InstallCase{"Rsa4096", KeyOrder::kRsaOnly, 4096, 256, {KeyType::kRsa, 4096}},
                      InstallCase{"EcP256", KeyOrder::kEcOnly, 2048, 256, {KeyType::kEc, 256}},
                      InstallCase{"EcP384", KeyOrder::kEcOnly, 2048, 384, {KeyType::kEc, 384}},
                      InstallCase{"EcP521", KeyOrder::kEcOnly, 2048, 521, {KeyType::kEc, 521}}),
    [](const ::testing::TestParamInfo<InstallCase>& info) { return std::string(info.param.name); });

TEST_F(Flows, EcPreferredUsesEcWhenThePhoneCan) {
  expect_install(KeyOrder::kEcPreferredRsaBackup, 2048, 384, {KeyType::kEc, 384});
}

TEST_F(Flows, EcPreferredFallsBackToRsaForAPhoneWithoutEc) {
  auto r = install_on_a_phone_without_ec(KeyOrder::kEcPreferredRsaBackup);
  ASSERT_EQ(r.exit_code, 0) << last_transcript_;
  EXPECT_EQ(r.installed->public_key().spec(), (KeySpec{KeyType::kRsa, 2048}));
}

TEST_F(Flows, EcOnlyForAPhoneWithoutEcFails) {
  auto r = install_on_a_phone_without_ec(KeyOrder::kEcOnly);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.end_reason, 7);
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kNoEcSupport));
}

TEST_F(Flows, UnknownDeviceEndsWith9) {
  auto r = run_phone("SEP0000000000AA");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.end_reason, 9);
}

TEST_F(Flows, NoOperationEndsWith0) {
  DeviceChange c;
  c.name = kPhone;
  set(c);
  auto r = run_phone(kPhone);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.end_reason, 0);
}

TEST_F(Flows, AuthenticationStringRightAndWrong) {
  auto o = install_by_string_answering("123457");
  EXPECT_EQ(run_phone(o).exit_code, 1);
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString));
  o.auth_string = "123456";
  EXPECT_EQ(run_phone(o).exit_code, 0) << last_transcript_;
}

TEST_F(Flows, ThreeWrongStringsLockTheOperation) {
  auto o = install_by_string_answering("000000");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run_phone(o).exit_code, 1);
  o.auth_string = "123456";
  EXPECT_EQ(run_phone(o).exit_code, 1);
  EXPECT_NE(device(kPhone).status_detail.find("locked"), std::string::npos);
  o = install_by_string_answering("123456");  // setting the operation again unlocks it
  EXPECT_EQ(run_phone(o).exit_code, 0) << last_transcript_;
}

TEST_F(Flows, ExistingLscAuthenticatesTheRenewal) {
  set(install(kPhone));
  auto first = run_phone(kPhone);
  ASSERT_EQ(first.exit_code, 0) << last_transcript_;
  set(install(kPhone, AuthMode::kLscFirst));
  auto second = run_phone(kPhone);
  ASSERT_EQ(second.exit_code, 0) << last_transcript_;
  EXPECT_NE(second.installed->serial_hex(), first.installed->serial_hex());
}

TEST_F(Flows, LscModeWithoutAnyCertificateIsInvalidLsc) {
  set(install(kPhone, AuthMode::kLscFirst));
  EXPECT_EQ(run_phone(kPhone).exit_code, 1);
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidLsc));
}

TEST_F(Flows, MicAuthenticationWithSudi) {
  auto mic = state(kPhone).make_mic(kPhone, root_ / "mfg", {KeyType::kEc, 256});
  ASSERT_TRUE(mic) << mic.error().message;
  set(install(kPhone, AuthMode::kMicFirst));
  EXPECT_EQ(run_phone(kPhone).exit_code, 1);  // the manufacturing CA is not trusted yet
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidMic));
  auto ca = pki::Certificate::from_pem(
      run_shell("cat " + (root_ / "mfg" / "mfg-ca.pem").string()).output);
  ASSERT_TRUE(ca);
  auto added = env_->admin().trust_add("mic-trust", as_bytes(ca->pem()), "mfg", "test");
  ASSERT_TRUE(added);
  set(install(kPhone, AuthMode::kMicFirst));
  auto r = run_phone(kPhone);
  EXPECT_EQ(r.exit_code, 0) << last_transcript_;
  bool sudi_sent = false;
  for (const auto& l : r.transcript)
    sudi_sent |= l.find("SUDI") != std::string::npos;
  EXPECT_TRUE(sudi_sent) << last_transcript_;
}

TEST_F(Flows, ProtocolVersionsOneToThree) {
  for (std::uint8_t v : {1, 2, 3}) {
    set(install(kPhone));
    auto o = phone_options(kPhone);
    o.version = v;
    EXPECT_EQ(run_phone(o).exit_code, 0) << int(v) << last_transcript_;
  }
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.version = 4;
  auto r = run_phone(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.end_reason, 7);
}

TEST_F(Flows, TroubleshootFetchesLscAndMic) {
  ASSERT_TRUE(state(kPhone).make_mic(kPhone, root_ / "mfg", {KeyType::kRsa, 2048}));
  ASSERT_NO_FATAL_FAILURE(install_then(Operation::kTroubleshoot));
  auto r = run_phone(kPhone);
  EXPECT_EQ(r.exit_code, 0) << last_transcript_;
  EXPECT_EQ(r.end_reason, 0);
  EXPECT_EQ(device(kPhone).status, OperationStatus::success(Operation::kTroubleshoot));
  auto events = env_->admin().device_history(kPhone, 10);
  ASSERT_TRUE(events);
  std::string all;
  for (const auto& e : *events)
    all += e.detail;
  EXPECT_NE(all.find("MIC: subject CN=CP-8865-SEP001122334455"), std::string::npos);
  EXPECT_NE(all.find("LSC: subject CN=SEP001122334455"), std::string::npos);
}

TEST_F(Flows, DeleteRemovesTheLsc) {
  ASSERT_NO_FATAL_FAILURE(install_then(Operation::kDelete));
  ASSERT_TRUE(state(kPhone).lsc());
  auto r = run_phone(kPhone);
  EXPECT_EQ(r.exit_code, 0) << last_transcript_;
  EXPECT_EQ(r.end_reason, 1);
  EXPECT_FALSE(state(kPhone).lsc());
  EXPECT_EQ(device(kPhone).status, OperationStatus::success(Operation::kDelete));
  // Nothing left to delete: the phone answers 7 and the server ends with 7.
  set(change_to(Operation::kDelete));
  r = run_phone(kPhone);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.end_reason, 7);
}

TEST_F(Flows, RefusedStoreIsNotASuccess) {
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.refuse_store = true;
  auto r = run_phone(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.end_reason, 7);
  Device d = device(kPhone);
  EXPECT_EQ(d.status, OperationStatus::failed(Operation::kInstall, FailureReason::kNone));
  EXPECT_EQ(d.operation, Operation::kInstall);
  auto certs = env_->admin().device_certificates(kPhone);
  ASSERT_TRUE(certs);
  ASSERT_EQ(certs->size(), 1u);
  EXPECT_EQ(certs->front().state, CertificateState::kRejected);
}

TEST_F(Flows, HeaderSplitAcrossTlsRecordsIsReassembled) {
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.split_header_writes = true;
  EXPECT_EQ(run_phone(o).exit_code, 0) << last_transcript_;
}

TEST_F(Flows, ManyRequestInProgressMessagesAreAccepted) {
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.in_progress_messages = 25;
  EXPECT_EQ(run_phone(o).exit_code, 0) << last_transcript_;
}

TEST_F(Flows, ConcurrentPhonesAllInstall) {
  constexpr int kPhones = 24;
  std::vector<std::string> names;
  for (int i = 0; i < kPhones; ++i) {
    names.push_back(fmt::format("SEP0000000{:05X}", i));
    set(install(names.back()));
  }
  std::vector<int> codes(kPhones, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPhones; ++i) {
    threads.emplace_back([&, i] {
      auto st = phone::PhoneState::in_memory();
      auto o = phone_options(names[i]);
      codes[i] = phone::run_session_blocking(o, st).exit_code;
    });
  }
  for (auto& t : threads)
    t.join();
  for (int i = 0; i < kPhones; ++i)
    EXPECT_EQ(codes[i], 0) << names[i];
  DeviceFilter f;
  f.status_kind = StatusKind::kSuccess;
  EXPECT_EQ(*env_->admin().count_devices(f), kPhones);
}

class Timeouts : public ServerFixture {};

TEST_F(Timeouts, SilentKeyGenerationIsKeyGenerationTimeout) {
  start("[timeouts]\nkeygen_seconds = 1\nkeygen_max_seconds = 1\n");
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.in_progress_messages = 0;
  o.keygen_delay = std::chrono::milliseconds(3000);
  auto started = std::chrono::steady_clock::now();
  auto r = run_phone(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
  // The server records the timeout once the session has ended.
  for (int i = 0; i < 100 && device(kPhone).status.kind != StatusKind::kFailed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kKeyGenerationTimeout));
}

TEST_F(Timeouts, SessionCapClosesExtraConnectionsAtOnce) {
  start("[server]\nmax_sessions = 1\n");
  set(install(kPhone));
  DeviceChange other = install("SEP00000000BBBB");
  set(other);
  auto slow = phone_options(kPhone);
  slow.keygen_delay = std::chrono::milliseconds(2500);
  std::thread holder([&] {
    auto st = phone::PhoneState::in_memory();
    EXPECT_EQ(phone::run_session_blocking(slow, st).exit_code, 0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto started = std::chrono::steady_clock::now();
  auto r = run_phone("SEP00000000BBBB");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  holder.join();
  EXPECT_GE(daemon_->counters().refused_over_cap, 1u);
  EXPECT_EQ(run_phone("SEP00000000BBBB").exit_code, 0) << last_transcript_;
}

TEST_F(Timeouts, SlowPhonesDoNotBlockOthers) {
  start("[server]\nio_threads = 1\nworker_threads = 1\n");
  std::vector<std::thread> slow;
  for (int i = 0; i < 4; ++i) {
    std::string name = fmt::format("SEP00000000AA{:02X}", i);
    set(install(name));
    auto o = phone_options(name);
    o.keygen_delay = std::chrono::milliseconds(3000);
    slow.emplace_back([o] {
      auto st = phone::PhoneState::in_memory();
      EXPECT_EQ(phone::run_session_blocking(o, st).exit_code, 0);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  set(install(kPhone));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(run_phone(kPhone).exit_code, 0) << last_transcript_;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));
  for (auto& t : slow)
    t.join();
}

class Transport : public ServerFixture {};

TEST_F(Transport, LegacyPhonesNeedTheLegacySwitch) {
  start();
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.legacy_tls = true;
  EXPECT_EQ(run_phone(o).exit_code, 1);  // TLS 1.0 refused by default
  // Restart the same data directory with legacy_tls on.
  daemon_.reset();
  env_.reset();
  std::ofstream(data_ / "opencapf.toml") << "[server]\nlegacy_tls = true\n";
  open_and_serve({"127.0.0.1:0"});
  o = phone_options(kPhone);
  o.legacy_tls = true;
  auto r = run_phone(o);
  EXPECT_EQ(r.exit_code, 0) << last_transcript_;
  EXPECT_EQ(r.tls_version, "TLSv1");
}

TEST_F(Transport, ModernPhonesGetTls13) {
  start();
  set(install(kPhone));
  auto r = run_phone(kPhone);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.tls_version, "TLSv1.3");
}

TEST_F(Transport, ListensOnIpv6) {
  start("", {"[::1]:0"});
  set(install(kPhone));
  auto o = phone_options(kPhone);
  o.host = "::1";
  EXPECT_EQ(run_phone(o).exit_code, 0) << last_transcript_;
}

TEST_F(Transport, EcCapfIdentitySignsLscsWithEcdsa) {
  start("", {"127.0.0.1:0"}, init_options({KeyType::kEc, 384}, "CN=CAPF-ec,O=opencapf test"));
  set(install(kPhone));
  auto r = run_phone(kPhone);
  ASSERT_EQ(r.exit_code, 0) << last_transcript_;
  EXPECT_TRUE(
      pki::lsc_profile_problems(*r.installed, daemon_->identity().certificate, kPhone).empty());
}

TEST_F(Transport, ServerSendsItsFullChainForASubordinateCapf) {
  // A corporate root signs the CAPF certificate; the phone trusts only the root.
  std::filesystem::create_directories(root_ / "ca");
  auto ca = (root_ / "ca").string();
  auto [code, out] = run_shell(
      "cd " + ca +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem "
      "-days 30 -subj '/CN=Corporate Root/O=Example' -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign,cRLSign && "
      "openssl req -newkey rsa:2048 -nodes -keyout capf.key -out capf.csr -subj "
      "'/CN=CAPF-sub/O=Example/OU=Voice' && "
      "printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,digitalSignature,"
      "keyCertSign\\nextendedKeyUsage=serverAuth\\nsubjectKeyIdentifier=hash\\n"
      "authorityKeyIdentifier=keyid\\n' > ext.cnf && "
      "openssl x509 -req -in capf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 "
      "-extfile ext.cnf -out capf.pem");
  ASSERT_EQ(code, 0) << out;
  std::filesystem::create_directories(data_);
  std::filesystem::copy_file(root_ / "ca" / "capf.pem", data_ / "capf-cert.pem");
  std::filesystem::copy_file(root_ / "ca" / "capf.key", data_ / "capf-key.pem");
  std::filesystem::copy_file(root_ / "ca" / "root.pem", data_ / "capf-chain.pem");
  {
    // The registry and its trust stores: init refuses an existing identity, so open directly.
    SystemClock clock;
    auto reg = SqliteRegistry::open((data_ / "registry.db").string(), clock);
    ASSERT_TRUE(reg);
  }
  open_and_serve({"127.0.0.1:0"});
  set(install(kPhone));
  auto o = phone_options(kPhone);
  auto root_cert = pki::Certificate::from_pem(run_shell("cat " + ca + "/root.pem").output);
  ASSERT_TRUE(root_cert);
  o.server_trust = {*root_cert};
  auto r = run_phone(o);
  ASSERT_EQ(r.exit_code, 0) << last_transcript_;
  // The LSC names the CAPF certificate's subject as issuer and verifies through it to the root.
  EXPECT_EQ(r.installed->issuer(), daemon_->identity().certificate.subject());
  auto [vcode, vout] =
      run_shell("openssl verify -CAfile " + ca + "/root.pem -untrusted " + ca + "/capf.pem " +
                (root_ / ("phone-" + std::string(kPhone)) / "lsc.pem").string());
  EXPECT_EQ(vcode, 0) << vout;
}

}  // namespace
}  // namespace capf::testing
