#include "tests/support/test_pki.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include "capf/pki/csr.h"

namespace capf::pki::testing {

const PrivateKey& test_key(KeySpec spec, int slot) {
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int>, PrivateKey> keys;
  std::lock_guard lock(mutex);
  auto id = std::make_tuple(static_cast<int>(spec.type), spec.bits, slot);
  auto it = keys.find(id);
  if (it == keys.end()) {
    auto key = PrivateKey::generate(spec);
    if (!key) {
      throw std::runtime_error(key.error().message);
    }
    it = keys.emplace(id, std::move(key).value()).first;
  }
  return it->second;
}

TimePoint test_now() {
  return from_unix(1772323200);  // 2026-03-01T00:00:00Z
}

Bytes vector_lsc_der() {
  return hex(
      "308201d63082017ca00302010202100123456789abcdef0123456789abcdef300a06082a8648ce3d0403023038"
      "3110300e060355040a0c074578616d706c65310d300b060355040b0c04434150463115301306035504030c0c43"
      "4150462d6578616d706c65301e170d3235303130313030303030305a170d3236303130313030303030305a303b"
      "3118301606035504030c0f5345503030313132323333343435353110300e060355040a0c074578616d706c6531"
      "0d300b060355040b0c04434150463059301306072a8648ce3d020106082a8648ce3d030107034200040217e617"
      "f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56"
      "f45fc758599652f2897c65306e5794a3653063300c0603551d130101ff04023000300e0603551d0f0101ff0404"
      "030205a030270603551d250420301e06082b0601050507030106082b0601050507030206082b06010505070305"
      "301a0603551d1104133011860f534550303031313232333334343535300a06082a8648ce3d04030203480030450"
      "22005d01352acdc36d94e3528d255d5b179a346860cba34566d731fcba84f817ee2022100e360e70f90802a4bc0"
      "68532fc300e31765b58ca2c1c2d9950485ca544d8022ce");
}

PrivateKey vector_issuer_key() {
  Bytes scalar(32, 0x22);
  Bytes point = hex(
      "04d65a93977caa3d1b081852ff57a79e465f1660577304baead505dd3a48589cf350185e895372df6221ea3a13"
      "7557e473fddb6755f05bd507c3c533fce9c91285");
  BnPtr priv(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>> build(OSSL_PARAM_BLD_new());
  char group[] = "prime256v1";
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get());
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>> params(
      OSSL_PARAM_BLD_to_param(build.get()));
  PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    throw std::runtime_error("cannot build the vector issuer key");
  }
  auto key = PrivateKey::adopt(PKeyPtr(raw));
  if (!key) {
    throw std::runtime_error(key.error().message);
  }
  return std::move(key).value();
}

Certificate test_capf_certificate(const PrivateKey& key, std::string_view subject, int days) {
  FakeClock clock(test_now());
  auto cert = make_capf_certificate(key, {std::string(subject), days}, clock);
  if (!cert) {
    ADD_FAILURE() << cert.error().message;
    std::abort();
  }
  return *cert;
}

Subordinate make_subordinate(const TempDir& dir, const PrivateKey& root_key,
                             const PrivateKey& capf_key, CrlSign crl_sign) {
  std::string config = dir.write(
      "ca.cnf",
      "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = Example Root CA\nO = Example\n"
      "[root]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
      "subjectKeyIdentifier = hash\n"
      "[capf]\nbasicConstraints = critical,CA:TRUE,pathlen:0\n"
      "keyUsage = critical,digitalSignature,keyCertSign,cRLSign\n"
      "extendedKeyUsage = serverAuth,clientAuth\n"
      "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
      "[capf_no_crl_sign]\nbasicConstraints = critical,CA:TRUE,pathlen:0\n"
      "keyUsage = critical,digitalSignature,keyCertSign\n"
      "extendedKeyUsage = serverAuth,clientAuth\n"
      "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n");
  std::string root_key_file = dir.write("root.key", *root_key.to_pem());
  auto root = run_shell("openssl req -x509 -new -key " + root_key_file + " -config " + config +
                        " -extensions root -days 30 -out " + dir.file("root.pem"));
  EXPECT_EQ(root.exit_code, 0) << root.output;

  auto info = build_request_info("CN=CAPF-sub,O=Example,OU=Voice,C=NZ", capf_key.spki_der());
  EXPECT_TRUE(info);
  auto sig = capf_key.sign(Hash::kSha256, *info);
  auto csr = assemble_csr(*info, Hash::kSha256, *sig);
  EXPECT_TRUE(csr) << (csr ? "" : csr.error().message);
  dir.write("capf.csr.der", *csr);
  const char* section = crl_sign == CrlSign::kWith ? "capf" : "capf_no_crl_sign";
  auto signed_capf = run_shell(
      "openssl req -inform DER -in " + dir.file("capf.csr.der") + " -out " + dir.file("capf.csr") +
      " && openssl x509 -req -in " + dir.file("capf.csr") + " -CA " + dir.file("root.pem") +
      " -CAkey " + root_key_file + " -set_serial 0x7a11ce5e7a11ce5e7a11ce5e -days 30 -extfile " +
      config + " -extensions " + section + " -out " + dir.file("capf.pem"));
  EXPECT_EQ(signed_capf.exit_code, 0) << signed_capf.output;
  auto root_cert = Certificate::from_pem(capf::to_string(dir.read("root.pem")));
  auto capf_cert = Certificate::from_pem(capf::to_string(dir.read("capf.pem")));
  if (!root_cert || !capf_cert) {
    ADD_FAILURE() << "cannot make the subordinate chain";
    std::abort();
  }
  return {*root_cert, *capf_cert};
}

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes) {
    throw std::runtime_error("bad hex in a test");
  }
  return *bytes;
}

}  // namespace capf::pki::testing
