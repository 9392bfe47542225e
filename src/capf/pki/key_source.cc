#include "capf/pki/key_source.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#include "capf/common/pkcs11_uri.h"
#include "capf/pki/openssl_ptr.h"

namespace capf::pki {

namespace {

constexpr const char* kModuleVariable = "OPENCAPF_PKCS11_MODULE";

// PKCS#11 return values (CKR_*) that libp11 puts in OpenSSL's error queue as reason codes.
constexpr int kCkrPinIncorrect = 0xa0;
constexpr int kCkrPinInvalid = 0xa1;
constexpr int kCkrPinLenRange = 0xa2;
constexpr int kCkrPinExpired = 0xa3;
constexpr int kCkrPinLocked = 0xa4;

// A copy of a secret (a PIN, or a URI that may hold one) wiped when it goes.
struct SecretString {
  explicit SecretString(std::string_view text) : value(text) {}
  ~SecretString() { OPENSSL_cleanse(value.data(), value.size()); }
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  std::string value;
};

// The process-wide engine. Never destroyed: keys loaded through it call into it until the process
// ends, whatever order static destructors run in.
struct EngineState {
  ENGINE* engine = nullptr;
  UI_METHOD* no_prompt = nullptr;
  std::string module = "the engine's default (p11-kit-proxy)";  // for messages
  std::optional<Error> error;                                   // why the engine cannot be used
  std::mutex mutex;  // one load at a time: the PIN is engine state
};

// The engine asks this UI for a PIN it was not given. Answering nothing makes the load fail at
// once instead of prompting on a terminal a daemon may not have.
int refuse_to_prompt(UI* /*ui*/, UI_STRING* /*prompt*/) {
  return 0;
}

void start_engine(EngineState& state) {
  ENGINE_load_builtin_engines();
  ENGINE* engine = ENGINE_by_id("pkcs11");
  if (engine == nullptr) {
    ERR_clear_error();
    state.error = make_error(ErrorCode::kUnavailable,
                             "cannot open the PKCS#11 engine: install libengine-pkcs11-openssl");
    return;
  }
  // Kept for good, usable or not: the engine's functions run under every key it loads, and freeing
  // an engine that failed to start would leak what libp11 allocated when it was bound.
  state.engine = engine;
  // Without QUIET libp11 prints its failures on stderr, URIs (and any pin-value in them) included.
  ENGINE_ctrl_cmd_string(engine, "QUIET", nullptr, 0);
  ERR_clear_error();
  const char* module = std::getenv(kModuleVariable);
  if (module != nullptr && *module != '\0') {
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(module, ignored)) {
      state.error = make_error(ErrorCode::kUnavailable,
                               "the PKCS#11 module {} named by {} does not exist: install it or "
                               "correct the path",
                               module, kModuleVariable);
      return;
    }
    if (ENGINE_ctrl_cmd_string(engine, "MODULE_PATH", module, 0) != 1) {
      state.error =
          make_error(ErrorCode::kUnavailable, "the PKCS#11 engine refuses the module {}: {}",
                     module, openssl_errors());
      return;
    }
    state.module = module;
  }
  if (ENGINE_init(engine) != 1) {
    state.error = make_error(ErrorCode::kUnavailable, "cannot start the PKCS#11 engine: {}",
                             openssl_errors());
    return;
  }
  state.no_prompt = UI_create_method("opencapf: no pin prompt");
  if (state.no_prompt == nullptr || UI_method_set_reader(state.no_prompt, refuse_to_prompt) != 0) {
    state.error = make_error(ErrorCode::kInternal, "cannot set up the PKCS#11 pin handling: {}",
                             openssl_errors());
  }
}

EngineState& engine_state() {
  static EngineState* state = new EngineState;
  static std::once_flag once;
  std::call_once(once, [] { start_engine(*state); });
  return *state;
}

// Turns the error queue a failed load leaves into the one-line error an operator can act on.
Error load_error(const std::string& uri, const std::string& module) {
  bool no_module = false;
  bool refused = false;
  bool locked = false;
  bool expired = false;
  bool no_pin = false;
  bool not_found = false;
  std::string detail;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    const char* lib = ERR_lib_error_string(code);
    const char* reason_text = ERR_reason_error_string(code);
    const std::string_view library = lib != nullptr ? lib : "";
    const std::string_view reason = reason_text != nullptr ? reason_text : "";
    if (library == "PKCS#11 module") {
      const int ckr = ERR_GET_REASON(code);
      refused =
          refused || ckr == kCkrPinIncorrect || ckr == kCkrPinInvalid || ckr == kCkrPinLenRange;
      expired = expired || ckr == kCkrPinExpired;
      locked = locked || ckr == kCkrPinLocked;
    }
    no_pin = no_pin || ERR_GET_LIB(code) == ERR_LIB_UI;
    not_found = not_found || reason == "object not found";
    no_module = no_module || reason == "Unable to load PKCS#11 module";
    // Only the library and reason texts: the data strings of other errors could echo the URI.
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!detail.empty()) {
      detail += "; ";
    }
    detail += text;
  }
  if (no_module) {
    return make_error(ErrorCode::kUnavailable,
                      "the PKCS#11 engine cannot load the module {}: name a PKCS#11 library in {}",
                      module, kModuleVariable);
  }
  if (locked) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the token has locked the PIN for {}: unlock it with the SO PIN "
                      "(pkcs11-tool --init-pin --login --login-type so)",
                      uri);
  }
  if (expired) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the PIN for {} has expired: set a new one with pkcs11-tool --change-pin",
                      uri);
  }
  if (refused) {
    return make_error(ErrorCode::kPermissionDenied, "the token refused the PIN for {} (wrong PIN?)",
                      uri);
  }
  if (no_pin) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the token wants a PIN for {}: give it in the file or variable that "
                      "[capf] passphrase_file or passphrase_env names",
                      uri);
  }
  if (not_found) {
    return make_error(ErrorCode::kNotFound,
                      "no private key {}: check token= and object= (list them with pkcs11-tool "
                      "--list-objects)",
                      uri);
  }
  return make_error(ErrorCode::kCrypto, "cannot load the private key {} from the PKCS#11 token: {}",
                    uri, detail.empty() ? "no detail from the engine" : detail);
}

}  // namespace

Result<PrivateKey> load_pkcs11_key(std::string_view uri, std::optional<std::string_view> pin) {
  const std::string shown = redact_pkcs11_uri(uri);
  if (!is_pkcs11_uri(uri)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'{}' is not a pkcs11: uri (expected pkcs11:token=<label>;object=<label>)",
                      shown);
  }
  if (uri.find('\0') != std::string_view::npos ||
      (pin && pin->find('\0') != std::string_view::npos)) {
    return make_error(ErrorCode::kInvalidArgument, "the pkcs11 uri or pin for {} holds a nul byte",
                      shown);
  }
  EngineState& state = engine_state();
  if (state.error) {
    return *state.error;
  }
  std::lock_guard lock(state.mutex);
  ERR_clear_error();
  SecretString uri_text(uri);
  if (pin) {
    SecretString pin_text(*pin);
    if (ENGINE_ctrl_cmd_string(state.engine, "PIN", pin_text.value.c_str(), 0) != 1) {
      ERR_clear_error();
      return make_error(ErrorCode::kInternal, "the PKCS#11 engine does not take a PIN for {}",
                        shown);
    }
  }
  PKeyPtr key(
      ENGINE_load_private_key(state.engine, uri_text.value.c_str(), state.no_prompt, nullptr));
  if (!key) {
    return load_error(shown, state.module);
  }
  ERR_clear_error();
  auto adopted = PrivateKey::adopt(std::move(key));
  if (!adopted) {
    return adopted.error().with_context(shown);
  }
  // libp11 pairs the private key with a public key object by CKA_ID: key pairs made without an id
  // all share the empty one, and the engine may return one key with another's public half. A
  // signature checked against the public half finds that before anything is signed for real.
  static constexpr std::string_view kProbe = "opencapf: does this key pair belong together?";
  const Bytes spki = adopted->spki_der();
  auto signature = adopted->sign(Hash::kSha256, as_bytes(kProbe));
  auto public_key = PublicKey::from_spki_der(spki);
  if (spki.empty() || !signature || !public_key ||
      !public_key->verify(Hash::kSha256, as_bytes(kProbe), *signature)) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "the private key {} does not work with the public key the token pairs with "
                      "it (libp11 pairs them by CKA_ID): give every key pair in the token its own "
                      "id (pkcs11-tool --keypairgen --id NN)",
                      shown);
  }
  return adopted;
}

}  // namespace capf::pki
