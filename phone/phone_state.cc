#include "phone/phone_state.h"

#include <system_error>

#include "capf/common/file.h"
#include "phone/test_manufacturer.h"

namespace capf::phone {
namespace {

constexpr std::string_view kMicFile = "mic.pem";
constexpr std::string_view kMicKeyFile = "mic-key.pem";
constexpr std::string_view kLscFile = "lsc.pem";
constexpr std::string_view kLscKeyFile = "lsc-key.pem";
// The key of a request an external CA has not answered yet (kept until its certificate arrives).
constexpr std::string_view kPendingKeyFile = "pending-key.pem";

// Reads one certificate + key pair; nullopt when neither file exists.
Result<std::optional<Credential>> load_credential(const std::filesystem::path& dir,
                                                  std::string_view cert_file,
                                                  std::string_view key_file) {
  const auto cert_path = dir / cert_file;
  const auto key_path = dir / key_file;
  CAPF_ASSIGN_OR_RETURN(auto cert_pem, read_file_if_exists(cert_path));
  CAPF_ASSIGN_OR_RETURN(auto key_pem, read_file_if_exists(key_path));
  if (!cert_pem && !key_pem) {
    return std::optional<Credential>();
  }
  if (!cert_pem || !key_pem) {
    return make_error(ErrorCode::kInvalidArgument, "{} has {} without {}: remove it", dir.string(),
                      cert_pem ? cert_file : key_file, cert_pem ? key_file : cert_file);
  }
  CAPF_ASSIGN_OR_RETURN(Credential credential,
                        parse_credential(*cert_pem, *key_pem, cert_path, key_path));
  return std::optional<Credential>(std::move(credential));
}

bool fits_in_dn(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (const char c : name) {
    if (c <= ' ' || c > '~' || std::string_view(",=+/\\<>;\"#").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Credential> parse_credential(std::string_view cert_pem, std::string_view key_pem,
                                    const std::filesystem::path& cert_path,
                                    const std::filesystem::path& key_path) {
  auto cert = pki::Certificate::from_pem(cert_pem);
  if (!cert) {
    return cert.error().with_context(cert_path.string());
  }
  auto key = pki::PrivateKey::from_pem(key_pem);
  if (!key) {
    return key.error().with_context(key_path.string());
  }
  if (cert->spki_der() != key->spki_der()) {
    return make_error(ErrorCode::kInvalidArgument, "{} is not the key of {}", key_path.string(),
                      cert_path.string());
  }
  return Credential{std::move(cert).value(), std::move(key).value()};
}

Result<PhoneState> PhoneState::load(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot create state directory {}: {}", dir.string(),
                      ec.message());
  }
  PhoneState state;
  state.dir_ = dir;
  CAPF_ASSIGN_OR_RETURN(state.mic_, load_credential(dir, kMicFile, kMicKeyFile));
  CAPF_ASSIGN_OR_RETURN(state.lsc_, load_credential(dir, kLscFile, kLscKeyFile));
  CAPF_ASSIGN_OR_RETURN(auto pending_pem, read_file_if_exists(dir / kPendingKeyFile));
  if (pending_pem) {
    auto key = pki::PrivateKey::from_pem(*pending_pem);
    if (!key)
      return key.error().with_context((dir / kPendingKeyFile).string());
    state.pending_key_ = std::move(key).value();
  }
  return state;
}

PhoneState PhoneState::in_memory() {
  return PhoneState();
}

Status PhoneState::save(std::string_view cert_file, std::string_view key_file,
                        const Credential& credential) {
  if (dir_.empty()) {
    return ok();
  }
  CAPF_ASSIGN_OR_RETURN(auto key_pem, credential.key.to_pem());
  // Key first, so that a certificate on disk always has its key next to it.
  CAPF_TRY(write_file_atomically(dir_ / key_file, key_pem, FileMode::kPrivate));
  return write_file_atomically(dir_ / cert_file, credential.certificate.pem(), FileMode::kPublic);
}

Status PhoneState::save_lsc(const pki::Certificate& cert, const pki::PrivateKey& key) {
  if (cert.spki_der() != key.spki_der()) {
    return make_error(ErrorCode::kInvalidArgument, "the certificate {} is not for this phone's key",
                      cert.serial_hex());
  }
  Credential credential{cert, key};
  CAPF_TRY(save(kLscFile, kLscKeyFile, credential));
  lsc_ = std::move(credential);
  return ok();
}

Status PhoneState::save_pending_key(const pki::PrivateKey& key) {
  if (!dir_.empty()) {
    CAPF_ASSIGN_OR_RETURN(auto pem, key.to_pem());
    CAPF_TRY(write_file_atomically(dir_ / kPendingKeyFile, pem, FileMode::kPrivate));
  }
  pending_key_ = key;
  return ok();
}

Status PhoneState::clear_pending_key() {
  if (!dir_.empty()) {
    CAPF_ASSIGN_OR_RETURN(const bool had, remove_file_if_exists(dir_ / kPendingKeyFile));
    (void)had;
  }
  pending_key_.reset();
  return ok();
}

Result<bool> PhoneState::delete_lsc() {
  bool had = lsc_.has_value();
  if (!dir_.empty()) {
    // Certificate first: a key left behind alone is reported by load() rather than reused.
    CAPF_ASSIGN_OR_RETURN(const bool had_cert, remove_file_if_exists(dir_ / kLscFile));
    CAPF_ASSIGN_OR_RETURN(const bool had_key, remove_file_if_exists(dir_ / kLscKeyFile));
    had = had || had_cert || had_key;
  }
  lsc_.reset();
  return had;
}

Result<pki::Certificate> PhoneState::make_mic(std::string_view device_name,
                                              const std::filesystem::path& mfg_dir,
                                              const KeySpec& key_spec, const Clock& clock) {
  if (!fits_in_dn(device_name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "device name '{}' cannot go into a MIC subject: use printable characters "
                      "without spaces or any of , = + / \\ < > ; \" #",
                      device_name);
  }
  CAPF_ASSIGN_OR_RETURN(auto ca, load_or_create_manufacturing_ca(mfg_dir, clock));
  CAPF_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::generate(key_spec));
  CAPF_ASSIGN_OR_RETURN(auto cert, issue_mic(ca, device_name, key, clock));
  Credential credential{cert, std::move(key)};
  CAPF_TRY(save(kMicFile, kMicKeyFile, credential));
  mic_ = std::move(credential);
  return cert;
}

}  // namespace capf::phone
