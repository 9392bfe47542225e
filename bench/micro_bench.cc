// Micro-benchmarks of the per-session hot paths, each next to the OpenSSL primitive it is built on
// so the overhead of our code reads as a ratio: framing and parsing a message, issuing an LSC
// (against one raw signature with the same key), and verifying a phone's proof.
#include <benchmark/benchmark.h>

#include "capf/common/clock.h"
#include "capf/pki/profiles.h"
#include "capf/protocol/message.h"

namespace capf {
namespace {

struct Issuer {
  explicit Issuer(KeySpec spec)
      : key(*pki::PrivateKey::generate(spec)),
        cert(*pki::make_capf_certificate(key, {"CN=CAPF-bench,O=opencapf bench,OU=Voice", 365},
                                         clock)) {}
  SystemClock clock;
  pki::PrivateKey key;
  pki::Certificate cert;
};

void BM_EncodeDecodeStoreRequest(benchmark::State& state) {
  protocol::StoreCertificateRequest req{protocol::cert_type::kLsc, Bytes(900, 0x30)};
  for (auto _ : state) {
    auto frame = protocol::encode(protocol::to_message(0x2a, req));
    auto msg = protocol::decode(*frame);
    auto parsed = protocol::parse_store_certificate_request(*msg);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_EncodeDecodeStoreRequest);

void issue(benchmark::State& state, KeySpec capf_key) {
  Issuer issuer(capf_key);
  auto phone = pki::PrivateKey::generate({KeyType::kEc, 256});
  Bytes spki = phone->spki_der();
  for (auto _ : state) {
    auto cert = pki::issue_lsc({"SEP001122334455", spki, pki::random_serial(), 365}, issuer.cert,
                               issuer.key, issuer.clock);
    benchmark::DoNotOptimize(cert);
  }
}
void raw_sign(benchmark::State& state, KeySpec capf_key) {
  auto key = pki::PrivateKey::generate(capf_key);
  Bytes tbs(600, 0x5a);
  for (auto _ : state)
    benchmark::DoNotOptimize(key->sign(pki::Hash::kSha256, tbs));
}
void BM_IssueLsc_Rsa2048(benchmark::State& s) {
  issue(s, {KeyType::kRsa, 2048});
}
void BM_RawSign_Rsa2048(benchmark::State& s) {
  raw_sign(s, {KeyType::kRsa, 2048});
}
void BM_IssueLsc_EcP256(benchmark::State& s) {
  issue(s, {KeyType::kEc, 256});
}
void BM_RawSign_EcP256(benchmark::State& s) {
  raw_sign(s, {KeyType::kEc, 256});
}
BENCHMARK(BM_IssueLsc_Rsa2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawSign_Rsa2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IssueLsc_EcP256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawSign_EcP256)->Unit(benchmark::kMicrosecond);

void BM_VerifyProof_Rsa2048_Sha512(benchmark::State& state) {
  auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
  Bytes data = protocol::auth_signed_bytes("SEP001122334455", Bytes(900, 0x30));
  Bytes sig = *key->sign_proof(pki::Hash::kSha512, data);
  pki::PublicKey pub = key->public_key();
  for (auto _ : state)
    benchmark::DoNotOptimize(pub.verify_proof(pki::Hash::kSha512, data, sig));
}
BENCHMARK(BM_VerifyProof_Rsa2048_Sha512)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace capf
