// libFuzzer driver for certificate and CRL reading (pki/certificate.h, pki/crl.h): what comes from
// phones (MIC and LSC in DER), trust-store and identity imports, chain files and CA answers (PEM).
// The first byte picks how the rest is presented, so DER mutations also reach the PEM readers:
//   0  the bytes as they are (DER, or PEM text)
//   1  the bytes armoured as one PEM CERTIFICATE block
//   2  a chain: 2-byte big-endian lengths, each part armoured as a PEM block, leaf first, then
//      verified against the last part as the anchor (as trust stores and imports do)
//   3  the bytes armoured as one PEM X509 CRL block
// Whatever parses must re-encode to a certificate equal to itself.

#include "capf/pki/certificate.h"
#include "capf/pki/crl.h"
#include "capf/pki/profiles.h"
#include "capf/pki/verify.h"
#include "fuzz/fuzz_util.h"

namespace capf::pki {
namespace {

using capf::fuzz::require;

// Every accessor CAPF calls on an outside certificate, and the DER and PEM round trips.
void exercise(const Certificate& cert) {
  (void)cert.subject();
  (void)cert.issuer();
  (void)cert.common_name();
  (void)cert.serial_hex();
  (void)cert.not_before();
  (void)cert.not_after();
  (void)cert.fingerprint_sha256();
  (void)cert.is_self_issued();
  (void)cert.is_ca();
  (void)capf_profile_problems(cert);
  (void)capf_profile_warnings(cert);
  Bytes spki = cert.spki_der();
  (void)PublicKey::from_spki_der(spki);
  auto again = Certificate::from_der(cert.der());
  require(again.has_value(), "a parsed certificate's DER parses");
  require(*again == cert, "DER round trip keeps the certificate");
  auto from_pem = Certificate::from_pem(cert.pem());
  require(from_pem.has_value() && *from_pem == cert, "PEM round trip keeps the certificate");
}

// Reads the text every way the callers do; returns the certificates all_from_pem found.
std::vector<Certificate> read_all(ByteView bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (auto one = Certificate::from_bytes(bytes))
    exercise(*one);
  if (auto der = Certificate::from_der(bytes))
    exercise(*der);
  if (auto first = Certificate::from_pem(text))
    exercise(*first);
  (void)pem_decode("CERTIFICATE", text);
  auto all = Certificate::all_from_pem(text);
  if (!all)
    return {};
  require(!all->empty(), "all_from_pem succeeds only with a certificate");
  for (const auto& c : *all)
    exercise(c);
  return std::move(all).value();
}

void check_crl(ByteView bytes) {
  auto crl = parse_crl(bytes);
  if (!crl)
    return;
  for (const auto& entry : crl->entries)
    require(!entry.serial_hex.empty(), "a CRL entry has a serial");
}

// Splits `rest` into length-prefixed parts and armours each as a PEM CERTIFICATE block.
std::string armoured_chain(ByteView rest) {
  std::string pem;
  while (rest.size() >= 2) {
    std::size_t length = (std::size_t{rest[0]} << 8) | rest[1];
    rest = rest.subspan(2);
    length = std::min(length, rest.size());
    pem += pem_encode("CERTIFICATE", rest.first(length));
    rest = rest.subspan(length);
  }
  return pem;
}

void check_chain(const std::vector<Certificate>& chain) {
  if (chain.empty())
    return;
  std::vector<Certificate> intermediates(chain.begin() + 1, chain.end());
  VerifyOptions options;
  options.at = TimePoint(std::chrono::seconds(1'780'000'000));  // mid-2026
  auto anchor = verify_chain(chain.front(), {chain.back()}, intermediates, options);
  if (!anchor)
    require(!anchor.error().message.empty(), "a refused chain says why");
}

}  // namespace
}  // namespace capf::pki

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf::pki;
  using capf::ByteView;
  capf::fuzz::by_mode(
      data, size,
      {[](ByteView bytes) {
         (void)read_all(bytes);
         check_crl(bytes);
       },
       [](ByteView der) { (void)read_all(capf::as_bytes(pem_encode("CERTIFICATE", der))); },
       [](ByteView parts) { check_chain(read_all(capf::as_bytes(armoured_chain(parts)))); },
       [](ByteView der) { check_crl(capf::as_bytes(crl_pem(der))); }});
  return 0;
}
