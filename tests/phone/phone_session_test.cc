// The simulated phone against a scripted in-test CAPF server (fake_capf_server.h).
#include "phone/phone_session.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "tests/phone/fake_capf_server.h"
#include "tests/support/temp_dir.h"

namespace capf::phone {
namespace {

namespace proto = capf::protocol;
using capf::testing::TempDir;
using testing::capf_credential;
using testing::run_against_fake_server;
using testing::ServerMode;
using testing::ServerScript;

constexpr const char* kDevice = "SEP001122334455";

PhoneOptions phone_options() {
  PhoneOptions options;
  options.device_name = kDevice;
  options.auth_string = "123456";
  options.timeout = std::chrono::seconds(10);
  return options;
}

bool has_line(const SessionReport& report, std::string_view prefix) {
  return std::any_of(report.transcript.begin(), report.transcript.end(),
                     [&](const std::string& line) { return line.rfind(prefix, 0) == 0; });
}

std::string transcript(const SessionReport& report) {
  std::string all;
  for (const auto& line : report.transcript) {
    all += line + "\n";
  }
  return all + "summary: " + report.summary;
}

// Puts an LSC issued by the test CAPF into the state, as a previous install would have.
void give_lsc(PhoneState& state, const KeySpec& spec) {
  auto key = pki::PrivateKey::generate(spec).value();
  auto lsc = pki::issue_lsc({kDevice, key.spki_der(), pki::random_serial(), 365},
                            capf_credential().certificate, capf_credential().key, SystemClock())
                 .value();
  ASSERT_TRUE(state.save_lsc(lsc, key).has_value());
}

void expect_installed(const testing::RunResult& run, const TempDir& dir, const KeySpec& spec) {
  const auto& report = run.report;
  ASSERT_EQ(report.exit_code, exit_code::kSuccess) << transcript(report) << "\n"
                                                   << run.server.error;
  EXPECT_EQ(report.operation, "install");
  EXPECT_EQ(report.end_reason, proto::reason::kSuccess);
  ASSERT_TRUE(report.installed.has_value());
  EXPECT_EQ(report.installed->public_key().spec(), spec);
  EXPECT_EQ(report.summary.rfind("installed LSC serial " + report.installed->serial_hex(), 0), 0u)
      << report.summary;
  EXPECT_EQ(run.server.store_reason, proto::reason::kSuccess);
  auto reloaded = PhoneState::load(dir.path()).value();
  ASSERT_TRUE(reloaded.lsc().has_value());
  EXPECT_EQ(reloaded.lsc()->certificate, *report.installed);
  EXPECT_EQ(reloaded.lsc()->key.spki_der(), report.installed->spki_der());
}

// Each test talks to its own fake server from a phone whose state lives in a fresh directory.
class PhoneSession : public ::testing::Test {
 protected:
  // The phone talks to a fake server that answers as `mode` says, its other answers the usual.
  testing::RunResult talk(ServerMode mode, const PhoneOptions& options = phone_options()) {
    ServerScript script;
    script.mode = mode;
    return run_against_fake_server(script, options, state_);
  }

  // The phone talks to a fake server that asks it to install an LSC with a key of `spec`.
  testing::RunResult install(const KeySpec& spec, const PhoneOptions& options = phone_options()) {
    ServerScript script;
    script.keys = {spec};
    return run_against_fake_server(script, options, state_);
  }

  // A phone that has its MIC and an LSC the test CAPF issued, as after an earlier install.
  void give_mic_and_lsc(const KeySpec& mic, const KeySpec& lsc) {
    ASSERT_TRUE(state_.make_mic(kDevice, dir_ / "mfg", mic).has_value());
    give_lsc(state_, lsc);
  }

  TempDir dir_;
  PhoneState state_ = PhoneState::load(dir_.path()).value();
};

TEST_F(PhoneSession, InstallsRsa2048Lsc) {
  auto run = run_against_fake_server(ServerScript{}, phone_options(), state_);
  expect_installed(run, dir_, {KeyType::kRsa, 2048});
  ASSERT_TRUE(run.server.auth.has_value());
  EXPECT_EQ(run.server.auth->device_name, kDevice);
  EXPECT_EQ(run.server.auth->password, "123456");
  EXPECT_EQ(run.server.auth->version, 3);
  EXPECT_TRUE(run.server.auth->certificates.empty());
  EXPECT_EQ(run.server.in_progress, 1);
  EXPECT_EQ(run.report.session_id, 0x12345678u);
  EXPECT_FALSE(run.report.tls_version.empty());
  EXPECT_FALSE(run.report.tls_cipher.empty());
  EXPECT_TRUE(has_line(run.report, "<- KEY_GENERATE_REQUEST key_type=rsa key_size=2048") ||
              has_line(run.report, "<- KEY_GENERATE_REQUEST key_size=2048 key_type=rsa"))
      << transcript(run.report);
  EXPECT_TRUE(has_line(run.report, "-> REQUEST_IN_PROGRESS")) << transcript(run.report);
  EXPECT_TRUE(has_line(run.report, "-> KEY_GENERATE_RESPONSE public_key=rsa:2048"))
      << transcript(run.report);
}

TEST_F(PhoneSession, ConnectsFromTheSourceAddressItIsGiven) {
  PhoneOptions options = phone_options();
  options.source_address = "127.0.0.7";
  auto run = install({KeyType::kRsa, 2048}, options);
  expect_installed(run, dir_, {KeyType::kRsa, 2048});
  EXPECT_EQ(run.server.peer_address, "127.0.0.7");

  options.source_address = "not-an-address";
  run = install({KeyType::kRsa, 2048}, options);
  EXPECT_NE(run.report.exit_code, exit_code::kSuccess);
  EXPECT_NE(run.report.summary.find("cannot connect"), std::string::npos) << run.report.summary;
  EXPECT_TRUE(run.server.peer_address.empty());
}

TEST_F(PhoneSession, InstallsEcP256Lsc) {
  auto run = install({KeyType::kEc, 256});
  expect_installed(run, dir_, {KeyType::kEc, 256});
  EXPECT_TRUE(has_line(run.report, "<- KEY_GENERATE_REQUEST key_type=ec curve=P-256"))
      << transcript(run.report);
}

TEST_F(PhoneSession, RefusedEcKeyLetsTheServerFallBackToRsa) {
  ServerScript script;
  script.keys = {{KeyType::kEc, 384}, {KeyType::kRsa, 2048}};
  auto options = phone_options();
  options.support_ec = false;
  auto run = run_against_fake_server(script, options, state_);
  expect_installed(run, dir_, {KeyType::kRsa, 2048});
  ASSERT_EQ(run.server.key_responses.size(), 2u);
  EXPECT_FALSE(run.server.key_responses[0].public_key.has_value());
  EXPECT_EQ(run.server.key_responses[0].reason, proto::reason::kFailure);
}

TEST_F(PhoneSession, KeySourceKeyIsTheOneCertified) {
  auto pregenerated = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  ServerScript script;
  script.keys = {{KeyType::kEc, 256}};
  auto options = phone_options();
  int calls = 0;
  options.key_source = [&](const KeySpec& spec) -> std::optional<pki::PrivateKey> {
    ++calls;
    EXPECT_EQ(spec, (KeySpec{KeyType::kEc, 256}));
    return pregenerated;
  };
  auto run = run_against_fake_server(script, options, state_);
  expect_installed(run, dir_, {KeyType::kEc, 256});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(run.report.installed->spki_der(), pregenerated.spki_der());
}

TEST_F(PhoneSession, SendsRequestedInProgressMessagesDuringKeygenDelay) {
  auto options = phone_options();
  options.in_progress_messages = 2;
  options.keygen_delay = std::chrono::milliseconds(200);
  auto run = install({KeyType::kEc, 256}, options);
  expect_installed(run, dir_, {KeyType::kEc, 256});
  EXPECT_EQ(run.server.in_progress, 3);
  EXPECT_GE(run.report.duration, std::chrono::milliseconds(200));
}

TEST_F(PhoneSession, SplitHeaderWritesAreReassembledByTheServer) {
  auto options = phone_options();
  options.split_header_writes = true;
  auto run = install({KeyType::kEc, 256}, options);
  expect_installed(run, dir_, {KeyType::kEc, 256});
}

// One row per key type the phone signs a certificate request with.
class PhoneSessionSigning : public PhoneSession, public ::testing::WithParamInterface<KeySpec> {};

TEST_P(PhoneSessionSigning, SignRequestYieldsACsrThatVerifies) {
  const KeySpec spec = GetParam();
  ServerScript script;
  script.keys = {spec};
  script.sign_first = true;
  script.sign_digest = proto::hash_id::kSha256;
  auto run = run_against_fake_server(script, phone_options(), state_);
  expect_installed(run, dir_, spec);
  ASSERT_TRUE(run.server.sign_response.has_value());
  EXPECT_EQ(run.server.sign_response->reason, proto::reason::kSuccess);
  ASSERT_TRUE(run.server.csr.has_value());
  ASSERT_TRUE(run.server.csr->has_value()) << run.server.csr->error().message;
  auto spki = pki::csr_public_key(**run.server.csr);
  ASSERT_TRUE(spki.has_value()) << spki.error().message;
  EXPECT_EQ(*spki, run.report.installed->spki_der());
  EXPECT_TRUE(has_line(run.report, "<- SIGN_CERTIFICATE_REQUEST")) << transcript(run.report);
  EXPECT_TRUE(has_line(run.report, "-> SIGN_CERTIFICATE_RESPONSE reason=1"))
      << transcript(run.report);
}

INSTANTIATE_TEST_SUITE_P(Keys, PhoneSessionSigning,
                         ::testing::Values(KeySpec{KeyType::kRsa, 2048},
                                           KeySpec{KeyType::kEc, 256}),
                         [](const ::testing::TestParamInfo<KeySpec>& info) {
                           return std::string(info.param.type == KeyType::kRsa ? "Rsa2048"
                                                                               : "EcP256");
                         });

TEST_F(PhoneSession, WithoutSignSupportAnswersSevenAndTheInstallFails) {
  ServerScript script;
  script.keys = {{KeyType::kRsa, 2048}};
  script.sign_first = true;
  auto options = phone_options();
  options.support_sign = false;
  auto run = run_against_fake_server(script, options, state_);
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure) << transcript(run.report);
  ASSERT_TRUE(run.server.sign_response.has_value());
  EXPECT_EQ(run.server.sign_response->reason, proto::reason::kFailure);
  EXPECT_FALSE(run.server.sign_response->signature.has_value());
  EXPECT_EQ(run.report.end_reason, proto::reason::kFailure);
  EXPECT_FALSE(PhoneState::load(dir_.path()).value().lsc().has_value());
}

TEST_F(PhoneSession, RefuseStoreAnswersSevenAndKeepsNoLsc) {
  auto options = phone_options();
  options.refuse_store = true;
  auto run = install({KeyType::kEc, 256}, options);
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure) << transcript(run.report);
  EXPECT_EQ(run.server.store_reason, proto::reason::kFailure);
  EXPECT_FALSE(run.report.installed.has_value());
  EXPECT_FALSE(state_.lsc().has_value());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lsc.pem"));
  EXPECT_NE(run.report.summary.find("install failed"), std::string::npos) << run.report.summary;
}

TEST_F(PhoneSession, TroubleshootReturnsLscThenMic) {
  ASSERT_NO_FATAL_FAILURE(give_mic_and_lsc({KeyType::kRsa, 2048}, {KeyType::kEc, 256}));
  auto run = talk(ServerMode::kFetch);
  EXPECT_EQ(run.report.exit_code, exit_code::kSuccess) << transcript(run.report);
  EXPECT_EQ(run.report.operation, "troubleshoot");
  EXPECT_EQ(run.report.end_reason, proto::reason::kNoAction);
  ASSERT_TRUE(run.server.fetch.has_value());
  EXPECT_EQ(run.server.fetch->reason, proto::reason::kSuccess);
  ASSERT_EQ(run.server.fetch->certificates.size(), 2u);
  EXPECT_EQ(run.server.fetch->certificates[0].type, proto::cert_type::kLsc);
  EXPECT_EQ(run.server.fetch->certificates[0].der, state_.lsc()->certificate.der());
  EXPECT_EQ(run.server.fetch->certificates[1].type, proto::cert_type::kMic);
  EXPECT_EQ(run.server.fetch->certificates[1].der, state_.mic()->certificate.der());
}

TEST_F(PhoneSession, TroubleshootLscOnlySendsOneItem) {
  ASSERT_NO_FATAL_FAILURE(give_mic_and_lsc({KeyType::kEc, 256}, {KeyType::kEc, 256}));
  auto options = phone_options();
  options.fetch_lsc_only = true;
  auto run = talk(ServerMode::kFetch, options);
  EXPECT_EQ(run.report.exit_code, exit_code::kSuccess) << transcript(run.report);
  ASSERT_TRUE(run.server.fetch.has_value());
  ASSERT_EQ(run.server.fetch->certificates.size(), 1u);
  EXPECT_EQ(run.server.fetch->certificates[0].type, proto::cert_type::kLsc);
}

TEST_F(PhoneSession, TroubleshootWithoutCertificatesAnswersSeven) {
  auto run = talk(ServerMode::kFetch);
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure) << transcript(run.report);
  ASSERT_TRUE(run.server.fetch.has_value());
  EXPECT_EQ(run.server.fetch->reason, proto::reason::kFailure);
  EXPECT_TRUE(run.server.fetch->certificates.empty());
}

TEST_F(PhoneSession, DeleteRemovesTheLsc) {
  give_lsc(state_, {KeyType::kEc, 256});
  auto run = talk(ServerMode::kDelete);
  EXPECT_EQ(run.report.exit_code, exit_code::kSuccess) << transcript(run.report);
  EXPECT_EQ(run.report.operation, "delete");
  EXPECT_EQ(run.server.delete_reason, proto::reason::kSuccess);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lsc.pem"));
  EXPECT_FALSE(PhoneState::load(dir_.path()).value().lsc().has_value());

  // Nothing left to delete: the phone answers 7 and the delete fails.
  auto again = talk(ServerMode::kDelete);
  EXPECT_EQ(again.report.exit_code, exit_code::kFailure) << transcript(again.report);
  EXPECT_EQ(again.server.delete_reason, proto::reason::kFailure);
}

TEST_F(PhoneSession, PresentsLscWithVerifiableProofsAndLittleEndianSudi) {
  ASSERT_NO_FATAL_FAILURE(give_mic_and_lsc({KeyType::kRsa, 2048}, {KeyType::kEc, 384}));
  ServerScript script;
  script.mode = ServerMode::kNone;
  script.session_id = 0x0a0b0c0d;
  auto run = run_against_fake_server(script, phone_options(), state_);
  EXPECT_EQ(run.report.exit_code, exit_code::kNoOperation) << transcript(run.report);
  ASSERT_TRUE(run.server.auth.has_value());
  const auto& auth = *run.server.auth;
  EXPECT_NE(transcript(run.report).find("(presenting the LSC, with SUDI)"), std::string::npos)
      << transcript(run.report);

  const Bytes lsc_der = state_.lsc()->certificate.der();
  ASSERT_EQ(auth.certificates.size(), 1u);
  EXPECT_EQ(auth.certificates[0].der, lsc_der);
  EXPECT_EQ(auth.certificates[0].type, proto::cert_type::kLsc);
  const auto lsc_key = state_.lsc()->certificate.public_key();
  const Bytes signed_bytes = proto::auth_signed_bytes(kDevice, lsc_der);
  ASSERT_TRUE(auth.signed_data.has_value());
  auto sha1 = lsc_key.verify_proof(pki::Hash::kSha1, signed_bytes, *auth.signed_data);
  EXPECT_TRUE(sha1.has_value()) << sha1.error().message;
  ASSERT_TRUE(auth.sha2_signed_data.has_value());
  EXPECT_EQ(auth.sha2_signed_data->hash_id, proto::hash_id::kSha512);
  auto sha512 =
      lsc_key.verify_proof(pki::Hash::kSha512, signed_bytes, auth.sha2_signed_data->signature);
  EXPECT_TRUE(sha512.has_value()) << sha512.error().message;

  ASSERT_TRUE(auth.sudi.has_value());
  const Bytes mic_der = state_.mic()->certificate.der();
  EXPECT_EQ(auth.sudi->certificate_id, 0);
  EXPECT_EQ(auth.sudi->certificate, mic_der);
  EXPECT_EQ(auth.sudi->sha1.hash_id, proto::hash_id::kSha1);
  EXPECT_EQ(auth.sudi->sha512.hash_id, proto::hash_id::kSha512);
  const auto mic_key = state_.mic()->certificate.public_key();
  const Bytes sudi_bytes = proto::sudi_signed_bytes(0x0a0b0c0d, mic_der);
  ASSERT_EQ(Bytes(sudi_bytes.begin(), sudi_bytes.begin() + 4), (Bytes{0x0d, 0x0c, 0x0b, 0x0a}));
  auto sudi1 = mic_key.verify_proof(pki::Hash::kSha1, sudi_bytes, auth.sudi->sha1.signature);
  EXPECT_TRUE(sudi1.has_value()) << sudi1.error().message;
  auto sudi512 = mic_key.verify_proof(pki::Hash::kSha512, sudi_bytes, auth.sudi->sha512.signature);
  EXPECT_TRUE(sudi512.has_value()) << sudi512.error().message;
  // The big-endian session id must not verify: the phone really signed little-endian.
  Bytes big_endian;
  put_u32be(big_endian, 0x0a0b0c0d);
  append(big_endian, mic_der);
  EXPECT_FALSE(mic_key.verify_proof(pki::Hash::kSha512, big_endian, auth.sudi->sha512.signature)
                   .has_value());
}

TEST_F(PhoneSession, PresentsMicWhenToldAndCanLeaveSudiOut) {
  ASSERT_NO_FATAL_FAILURE(give_mic_and_lsc({KeyType::kRsa, 2048}, {KeyType::kEc, 256}));
  auto options = phone_options();
  options.present = AuthMode::kMicFirst;
  options.send_sudi = false;
  auto run = talk(ServerMode::kNone, options);
  ASSERT_TRUE(run.server.auth.has_value()) << transcript(run.report);
  const auto& auth = *run.server.auth;
  ASSERT_EQ(auth.certificates.size(), 1u);
  const Bytes mic_der = state_.mic()->certificate.der();
  EXPECT_EQ(auth.certificates[0].der, mic_der);
  EXPECT_FALSE(auth.sudi.has_value());
  EXPECT_NE(transcript(run.report).find("(presenting the MIC)"), std::string::npos)
      << transcript(run.report);
  auto proof = state_.mic()->certificate.public_key().verify_proof(
      pki::Hash::kSha512, proto::auth_signed_bytes(kDevice, mic_der),
      auth.sha2_signed_data->signature);
  EXPECT_TRUE(proof.has_value()) << proof.error().message;
}

TEST_F(PhoneSession, FollowsTheServersAuthTypeInAutoMode) {
  give_lsc(state_, {KeyType::kEc, 256});
  ServerScript script;
  script.mode = ServerMode::kNone;
  script.auth_type = 1;  // authentication string
  auto run = run_against_fake_server(script, phone_options(), state_);
  ASSERT_TRUE(run.server.auth.has_value()) << transcript(run.report);
  EXPECT_TRUE(run.server.auth->certificates.empty());
  EXPECT_FALSE(run.server.auth->signed_data.has_value());
  EXPECT_EQ(run.server.auth->password, "123456");
}

TEST_F(PhoneSession, NullStringSendsAnEmptyPassword) {
  auto options = phone_options();
  options.present = AuthMode::kNullString;
  auto run = talk(ServerMode::kNone, options);
  ASSERT_TRUE(run.server.auth.has_value()) << transcript(run.report);
  EXPECT_EQ(run.server.auth->password, "");
  EXPECT_EQ(run.report.exit_code, exit_code::kNoOperation);
  EXPECT_EQ(run.report.operation, "none");
  EXPECT_EQ(run.report.end_reason, proto::reason::kNoAction);
}

TEST_F(PhoneSession, UntrustedServerCertificateFailsTheHandshake) {
  ServerScript script;
  script.server_credential = testing::other_capf_credential();
  auto run = run_against_fake_server(script, phone_options(), state_);
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure);
  EXPECT_NE(run.report.summary.find("TLS handshake"), std::string::npos) << run.report.summary;
  EXPECT_NE(run.report.summary.find("not trusted"), std::string::npos) << run.report.summary;
  EXPECT_FALSE(run.server.auth.has_value());
  EXPECT_TRUE(run.report.transcript.empty());
}

TEST_F(PhoneSession, UnknownDeviceExitsThree) {
  auto run = talk(ServerMode::kUnknownDevice);
  EXPECT_EQ(run.report.exit_code, exit_code::kUnknownDevice) << transcript(run.report);
  EXPECT_EQ(run.report.end_reason, proto::reason::kUnknownDevice);
}

TEST_F(PhoneSession, RefusalAfterAuthenticationExitsOne) {
  auto run = talk(ServerMode::kRefuse);
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure) << transcript(run.report);
  EXPECT_EQ(run.report.operation, "");
  EXPECT_EQ(run.report.end_reason, proto::reason::kFailure);
}

TEST_F(PhoneSession, SilentServerTimesOutWithinTheBound) {
  auto options = phone_options();
  options.timeout = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  auto run = talk(ServerMode::kSilentAfterAuth, options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure);
  EXPECT_NE(run.report.summary.find("no answer within 1 s"), std::string::npos)
      << run.report.summary;
}

TEST_F(PhoneSession, ChangedSessionIdIsAProtocolError) {
  auto run = talk(ServerMode::kChangeSessionId);
  EXPECT_EQ(run.report.exit_code, exit_code::kFailure);
  EXPECT_NE(run.report.summary.find("session id"), std::string::npos) << run.report.summary;
}

TEST_F(PhoneSession, LegacyTlsSpeaksTls10) {
  ServerScript script;
  script.mode = ServerMode::kNone;
  script.legacy_tls = true;
  auto options = phone_options();
  options.legacy_tls = true;
  auto run = run_against_fake_server(script, options, state_);
  EXPECT_EQ(run.report.exit_code, exit_code::kNoOperation) << transcript(run.report);
  EXPECT_EQ(run.report.tls_version, "TLSv1");
}

TEST_F(PhoneSession, BlockingRunWithoutTrustSaysWhatIsMissing) {
  auto state = PhoneState::in_memory();
  auto options = phone_options();
  options.host = "127.0.0.1";
  options.port = 1;
  auto report = run_session_blocking(options, state);
  EXPECT_EQ(report.exit_code, exit_code::kFailure);
  EXPECT_NE(report.summary.find("CAPF certificate"), std::string::npos) << report.summary;
}

}  // namespace
}  // namespace capf::phone
