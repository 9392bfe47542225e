// libFuzzer driver for the PKCS#10 pieces that read outside bytes (pki/csr.h, pki/key.h): a CSR
// handed in by an administrator or a CA, the phone-signed request of docs/protocol.md §6.10 (the
// phone's key inside CAPF's request info, the phone's signature) and the phone's
// SubjectPublicKeyInfo. The first byte picks the reader:
//   0  csr_public_key on the bytes (DER, or PEM text)
//   1  csr_public_key on the bytes armoured as a PEM CERTIFICATE REQUEST
//   2  assemble_csr: byte 1 the hash id, bytes 2-3 the request info's length (big-endian), the
//      request info, then the signature
//   3  the bytes as the phone's SPKI: PublicKey::from_spki_der and build_request_info
// Whatever assemble_csr accepts must read back through csr_public_key.

#include "capf/pki/certificate.h"
#include "capf/pki/csr.h"
#include "fuzz/fuzz_util.h"

namespace capf::pki {
namespace {

using capf::fuzz::require;

void check_csr(ByteView csr) {
  auto spki = csr_public_key(csr);
  if (!spki) {
    require(!spki.error().message.empty(), "a refused CSR says why");
    return;
  }
  require(!spki->empty(), "a CSR's key is not empty");
}

void check_assembly(ByteView rest) {
  if (rest.size() < 3)
    return;
  auto hash = hash_from_id(rest[0]);
  if (!hash)
    return;
  std::size_t info_size =
      std::min<std::size_t>((std::size_t{rest[1]} << 8) | rest[2], rest.size() - 3);
  ByteView info = rest.subspan(3, info_size);
  ByteView signature = rest.subspan(3 + info_size);
  auto csr = assemble_csr(info, *hash, signature);
  if (!csr)
    return;
  auto spki = csr_public_key(*csr);
  require(spki.has_value(), "an assembled CSR reads back with its key");
  auto pem = csr_public_key(as_bytes(pem_encode("CERTIFICATE REQUEST", *csr)));
  require(pem.has_value() && *pem == *spki, "the PEM form gives the same key");
}

// The phone's key goes into the request info CAPF asks the phone to sign.
void check_phone_key(ByteView spki) {
  auto key = PublicKey::from_spki_der(spki);
  auto info = build_request_info("CN=SEP001122334455,O=Example", spki);
  if (key)
    require(info.has_value(), "a key CAPF accepts fits in a request info");
}

}  // namespace
}  // namespace capf::pki

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf::pki;
  using capf::ByteView;
  capf::fuzz::by_mode(
      data, size,
      {check_csr,
       [](ByteView der) { check_csr(capf::as_bytes(pem_encode("CERTIFICATE REQUEST", der))); },
       check_assembly, check_phone_key});
  return 0;
}
