#include "phone/phone_state.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "capf/pki/profiles.h"
#include "capf/pki/verify.h"
#include "phone/test_manufacturer.h"
#include "tests/support/temp_dir.h"

namespace capf::phone {
namespace {

using capf::testing::TempDir;

mode_t file_mode(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

Credential make_self_signed(const KeySpec& spec) {
  auto key = pki::PrivateKey::generate(spec).value();
  auto cert = pki::make_capf_certificate(key, {"CN=SEP001122334455,O=test", 30}, SystemClock());
  return Credential{cert.value(), key};
}

TEST(PhoneState, LoadCreatesMissingDirectoryAndStartsEmpty) {
  TempDir tmp;
  auto state = PhoneState::load(tmp / "a" / "b");
  ASSERT_TRUE(state.has_value()) << state.error().message;
  EXPECT_TRUE(std::filesystem::is_directory(tmp / "a" / "b"));
  EXPECT_FALSE(state->lsc().has_value());
  EXPECT_FALSE(state->mic().has_value());
}

TEST(PhoneState, SavedLscSurvivesReloadAndKeyIsPrivate) {
  TempDir tmp;
  auto state = PhoneState::load(tmp.path()).value();
  const auto lsc = make_self_signed({KeyType::kEc, 256});
  ASSERT_TRUE(state.save_lsc(lsc.certificate, lsc.key).has_value());
  EXPECT_EQ(file_mode(tmp / "lsc-key.pem"), 0600u);
  auto reloaded = PhoneState::load(tmp.path()).value();
  ASSERT_TRUE(reloaded.lsc().has_value());
  EXPECT_EQ(reloaded.lsc()->certificate, lsc.certificate);
  EXPECT_EQ(reloaded.lsc()->key.spki_der(), lsc.key.spki_der());
  // No temporary files are left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(tmp.path())) {
    ++files;
  }
  EXPECT_EQ(files, 2);
}

TEST(PhoneState, RefusesLscWithAnotherKey) {
  TempDir tmp;
  auto state = PhoneState::load(tmp.path()).value();
  const auto lsc = make_self_signed({KeyType::kEc, 256});
  const auto other = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  auto saved = state.save_lsc(lsc.certificate, other);
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(state.lsc().has_value());
  EXPECT_FALSE(std::filesystem::exists(tmp / "lsc.pem"));
}

TEST(PhoneState, DeleteLscSaysWhetherThereWasOne) {
  TempDir tmp;
  auto state = PhoneState::load(tmp.path()).value();
  EXPECT_FALSE(state.delete_lsc().value());
  const auto lsc = make_self_signed({KeyType::kEc, 256});
  ASSERT_TRUE(state.save_lsc(lsc.certificate, lsc.key).has_value());
  EXPECT_TRUE(state.delete_lsc().value());
  EXPECT_FALSE(state.lsc().has_value());
  EXPECT_FALSE(std::filesystem::exists(tmp / "lsc.pem"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "lsc-key.pem"));
  EXPECT_FALSE(PhoneState::load(tmp.path()).value().lsc().has_value());
}

TEST(PhoneState, LoadRejectsCertificateWithoutKey) {
  TempDir tmp;
  const auto lsc = make_self_signed({KeyType::kEc, 256});
  std::ofstream(tmp / "lsc.pem") << lsc.certificate.pem();
  auto state = PhoneState::load(tmp.path());
  ASSERT_FALSE(state.has_value());
  EXPECT_NE(state.error().message.find("lsc-key.pem"), std::string::npos) << state.error().message;
}

TEST(PhoneState, InMemoryStateWritesNothing) {
  auto state = PhoneState::in_memory();
  const auto lsc = make_self_signed({KeyType::kEc, 256});
  ASSERT_TRUE(state.save_lsc(lsc.certificate, lsc.key).has_value());
  EXPECT_TRUE(state.lsc().has_value());
  EXPECT_TRUE(state.dir().empty());
  EXPECT_TRUE(state.delete_lsc().value());
}

TEST(PhoneState, MakeMicSharesOneManufacturingCaAndChainsToIt) {
  TempDir tmp;
  auto phone_a = PhoneState::load(tmp / "a").value();
  auto phone_b = PhoneState::load(tmp / "b").value();
  auto mic_a = phone_a.make_mic("SEP00000000000A", tmp / "mfg", {KeyType::kRsa, 2048});
  ASSERT_TRUE(mic_a.has_value()) << mic_a.error().message;
  std::ifstream ca_file(tmp / "mfg" / "mfg-ca.pem");
  const std::string ca_pem((std::istreambuf_iterator<char>(ca_file)), {});
  auto mic_b = phone_b.make_mic("SEP00000000000B", tmp / "mfg", {KeyType::kEc, 256});
  ASSERT_TRUE(mic_b.has_value()) << mic_b.error().message;
  std::ifstream ca_again(tmp / "mfg" / "mfg-ca.pem");
  EXPECT_EQ(ca_pem, std::string((std::istreambuf_iterator<char>(ca_again)), {}));
  EXPECT_EQ(file_mode(tmp / "mfg" / "mfg-ca-key.pem"), 0600u);
  EXPECT_EQ(file_mode(tmp / "a" / "mic-key.pem"), 0600u);

  auto ca = pki::Certificate::from_pem(ca_pem).value();
  EXPECT_EQ(ca.common_name(), "opencapf Test Manufacturing CA");
  EXPECT_EQ(mic_a->common_name(), "CP-8865-SEP00000000000A");
  EXPECT_NE(mic_a->subject().find("OU=MIC"), std::string::npos) << mic_a->subject();
  EXPECT_EQ(mic_a->issuer(), ca.subject());
  pki::VerifyOptions verify;
  verify.at = SystemClock().now();
  verify.require_client_auth = true;
  for (const auto& mic : {*mic_a, *mic_b}) {
    auto anchor = pki::verify_chain(mic, {ca}, {}, verify);
    ASSERT_TRUE(anchor.has_value()) << anchor.error().message;
  }
  // The MIC is kept in the state directory and comes back on load.
  auto reloaded = PhoneState::load(tmp / "a").value();
  ASSERT_TRUE(reloaded.mic().has_value());
  EXPECT_EQ(reloaded.mic()->certificate, *mic_a);
}

TEST(PhoneState, MakeMicRefusesNameThatBreaksTheSubject) {
  TempDir tmp;
  auto state = PhoneState::load(tmp.path()).value();
  auto mic = state.make_mic("SEP1,O=evil", tmp.path(), {KeyType::kEc, 256});
  ASSERT_FALSE(mic.has_value());
  EXPECT_EQ(mic.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace capf::phone
