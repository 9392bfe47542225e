// pkcs11_probe URI [PIN]: loads a key with load_pkcs11_key in a fresh process, so that the engine
// starts with the environment the test gives it (a missing engine, another module, no PIN ever
// given), and prints one line: "ok <SPKI SHA-256 fingerprint>" once a signature made with the key
// verifies, else "error <code>: <message>". Exit status 0 for ok, 1 otherwise.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "capf/pki/key_source.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: pkcs11_probe URI [PIN]\n");
    return 2;
  }
  std::optional<std::string_view> pin;
  if (argc == 3) {
    pin = argv[2];
  }
  auto key = capf::pki::load_pkcs11_key(argv[1], pin);
  if (!key) {
    std::printf("error %s: %s\n", std::string(capf::to_string(key.error().code)).c_str(),
                key.error().message.c_str());
    return 1;
  }
  const capf::ByteView data = capf::as_bytes("pkcs11 probe");
  auto signature = key->sign(capf::pki::Hash::kSha256, data);
  if (!signature) {
    std::printf("error %s: %s\n", std::string(capf::to_string(signature.error().code)).c_str(),
                signature.error().message.c_str());
    return 1;
  }
  auto verified = key->public_key().verify(capf::pki::Hash::kSha256, data, *signature);
  if (!verified) {
    std::printf("error %s: %s\n", std::string(capf::to_string(verified.error().code)).c_str(),
                verified.error().message.c_str());
    return 1;
  }
  std::printf("ok %s\n", key->public_key().fingerprint_sha256().c_str());
  return 0;
}
