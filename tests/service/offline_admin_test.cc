// OfflineAdmin's safety rules: what `offline export` writes (file names no device name can turn
// into a path, a CSV manifest) and what `offline import` accepts (an end-entity certificate for
// the requested device and key, usable by a phone, valid within policy, from the configured
// offline CA chain), each refusal naming its reason.
#include "capf/service/offline_admin.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <openssl/objects.h>

#include "capf/pki/key.h"
#include "capf/pki/x509_build.h"
#include "capf/service/csv.h"
#include "capf/service/tar_archive.h"
#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

constexpr auto kDay = std::chrono::hours(24);

struct Signer {
  pki::Certificate cert;
  pki::PrivateKey key;
};

Signer make_ca(const std::string& subject, const Clock& clock) {
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  auto cert = pki::make_capf_certificate(*key, {subject, 3650}, clock);
  EXPECT_TRUE(cert) << cert.error().message;
  return {*cert, *key};
}

// A certificate as an offline CA might sign it; the defaults make a good LSC.
struct CertSpec {
  std::string cn{};                   // "": the device's name
  std::chrono::seconds starts_in{0};  // notBefore relative to now
  int days = 365;
  bool ca = false;
  std::vector<int> eku = {NID_server_auth, NID_client_auth};  // empty: no extendedKeyUsage
};

pki::Certificate sign(const CertSpec& spec, ByteView spki, const Signer& signer, TimePoint now) {
  pki::X509Ptr x(X509_new());
  auto key = pki::PublicKey::from_spki_der(spki);
  EXPECT_TRUE(key);
  X509_set_version(x.get(), X509_VERSION_3);
  EXPECT_TRUE(pki::detail::set_serial(x.get(), pki::random_serial()));
  EXPECT_TRUE(pki::detail::set_validity(x.get(), now + spec.starts_in, spec.days));
  X509_NAME_add_entry_by_NID(X509_get_subject_name(x.get()), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), X509_get_subject_name(signer.cert.get()));
  X509_set_pubkey(x.get(), key->get());
  EXPECT_TRUE(pki::detail::add_basic_constraints(x.get(), spec.ca, std::nullopt));
  if (spec.eku.size() == 1) {
    EXPECT_TRUE(pki::detail::add_extended_key_usage(x.get(), {spec.eku[0]}));
  } else if (spec.eku.size() == 2) {
    EXPECT_TRUE(pki::detail::add_extended_key_usage(x.get(), {spec.eku[0], spec.eku[1]}));
  }
  EXPECT_TRUE(
      pki::detail::add_authority_key_id(x.get(), pki::detail::issuer_key_id(signer.cert.get())));
  auto cert = pki::detail::sign_certificate(x.get(), signer.key);
  EXPECT_TRUE(cert) << cert.error().message;
  return *cert;
}

class OfflineAdminTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    offline_ca_ = make_ca("CN=Offline Issuing CA,O=Example", clock_);
    other_ca_ = make_ca("CN=Some Other CA,O=Example", clock_);
    // Both in capf-trust: only the configured chain decides which may sign LSCs.
    ASSERT_TRUE(trust_->add(kCapfTrust, offline_ca_->cert, "offline CA"));
    ASSERT_TRUE(trust_->add(kCapfTrust, other_ca_->cert, "another CA"));
    offline_ = std::make_unique<OfflineAdmin>(*registry_, *trust_, clock_,
                                              std::vector<pki::Certificate>{offline_ca_->cert});
  }

  // A waiting offline request of `device` for a fresh key, as an older or newer version stored it.
  pki::PrivateKey request(const std::string& device) {
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
    CertificateRequestRecord r;
    r.id = to_hex(pki::random_serial()).substr(0, 24);
    r.device_name = device;
    r.mode = "offline";
    r.ca = "offline";
    r.key_spec = "ec:p256";
    r.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + device + "\n";
    r.spki_fingerprint = to_hex(pki::digest(pki::Hash::kSha256, key->spki_der()));
    r.created = clock_.now();
    r.updated = r.created;
    EXPECT_TRUE(registry_->insert_request(r));
    ids_[device] = r.id;
    return *key;
  }

  std::filesystem::path write(const std::string& file, const pki::Certificate& cert) {
    const auto path = tmp_.path() / file;
    std::ofstream(path) << cert.pem();
    return path;
  }

  std::optional<Signer> offline_ca_, other_ca_;
  std::unique_ptr<OfflineAdmin> offline_;
  std::map<std::string, std::string> ids_;
};

TEST_F(OfflineAdminTest, ImportRefusesEachBadCertificateWithItsReason) {
  const TimePoint now = clock_.now();
  const struct {
    std::string device;
    CertSpec spec;
    bool other_signer;
    std::string refusal;  // "": imported
  } kCases[] = {
      {"SEP000000000001", {}, false, ""},
      {"SEP000000000002", {.eku = {}}, false, ""},  // no extendedKeyUsage: no restriction
      {"SEP000000000003", {.eku = {NID_client_auth}}, false, ""},
      {"SEP000000000004", {.starts_in = std::chrono::minutes(4)}, false, ""},  // clock skew
      {"SEP000000000005", {.ca = true}, false, "is a CA certificate"},
      {"SEP000000000006",
       {.cn = "SEP0000000000FF"},
       false,
       "names 'SEP0000000000FF', not the device SEP000000000006"},
      {"SEP000000000007", {.eku = {NID_server_auth}}, false, "without clientAuth"},
      {"SEP000000000008", {.starts_in = -std::chrono::seconds(400 * kDay)}, false, "expired on"},
      {"SEP000000000009", {.starts_in = std::chrono::hours(2)}, false, "is not valid until"},
      {"SEP00000000000A", {.days = 3651}, false, "valid for 3651 days, more than the 3650"},
      {"SEP00000000000B", {}, true, "which is not in the [issuer.offline] chain"},
  };
  std::vector<std::filesystem::path> files;
  int bad = 0;
  for (const auto& c : kCases) {
    const pki::PrivateKey key = request(c.device);
    CertSpec spec = c.spec;
    if (spec.cn.empty())
      spec.cn = c.device;
    files.push_back(
        write(c.device + ".pem",
              sign(spec, key.spki_der(), c.other_signer ? *other_ca_ : *offline_ca_, now)));
    bad += c.refusal.empty() ? 0 : 1;
  }
  auto refused = offline_->import(files, false, "cli:test");
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(refused->applied);
  EXPECT_EQ(refused->errors, bad);
  ASSERT_EQ(refused->lines.size(), std::size(kCases));
  for (std::size_t i = 0; i < std::size(kCases); ++i) {
    const auto& line = refused->lines[i];
    SCOPED_TRACE(kCases[i].device + ": " + line.outcome);
    EXPECT_EQ(line.device, kCases[i].device);
    if (!kCases[i].refusal.empty()) {
      EXPECT_FALSE(line.ok);
      EXPECT_NE(line.outcome.find(kCases[i].refusal), std::string::npos);
    }
  }
  // --partial takes exactly the good ones.
  auto partial = offline_->import(files, true, "cli:test");
  ASSERT_TRUE(partial) << partial.error().message;
  EXPECT_TRUE(partial->applied);
  EXPECT_EQ(partial->imported, static_cast<int>(std::size(kCases)) - bad);
  for (std::size_t i = 0; i < std::size(kCases); ++i) {
    auto r = registry_->find_request(ids_[kCases[i].device]);
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->state,
              kCases[i].refusal.empty() ? RequestState::kReady : RequestState::kWaiting)
        << kCases[i].device;
  }
}

// A CA certificate that comes along with the signed ones (a copy of the chain) is passed over;
// one that is not in the configured chain does not help a certificate it signed.
TEST_F(OfflineAdminTest, CaCertificatesInTheInputAreNotTrusted) {
  const pki::PrivateKey key = request("SEP000000000001");
  const Signer rogue = make_ca("CN=Rogue CA,O=Example", clock_);
  auto rogue_signed = sign({.cn = "SEP000000000001"}, key.spki_der(), rogue, clock_.now());
  std::ofstream(tmp_.path() / "bundle.pem")
      << rogue_signed.pem() << rogue.cert.pem() << offline_ca_->cert.pem();
  auto report = offline_->import({tmp_.path() / "bundle.pem"}, false, "cli:test");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->applied);
  ASSERT_EQ(report->lines.size(), 1u);
  EXPECT_NE(report->lines[0].outcome.find("signed by CN=Rogue CA"), std::string::npos)
      << report->lines[0].outcome;
}

TEST_F(OfflineAdminTest, ImportWithoutAConfiguredChainImportsNothing) {
  const pki::PrivateKey key = request("SEP000000000001");
  OfflineAdmin no_chain(*registry_, *trust_, clock_, std::vector<pki::Certificate>{});
  const auto file = write(
      "signed.pem", sign({.cn = "SEP000000000001"}, key.spki_der(), *offline_ca_, clock_.now()));
  auto refused = no_chain.import({file}, true, "cli:test");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("opencapf issuer set --mode offline --ca-chain"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ((*registry_->find_request(ids_["SEP000000000001"]))->state, RequestState::kWaiting);
}

// Requests of devices stored under names older versions allowed are exported under their request
// id: nothing lands outside the folder, the archive has no path in a member name, and the
// manifest is CSV that reads back the names as they are.
TEST_F(OfflineAdminTest, ExportNamesFilesSafelyAndWritesACsvManifest) {
  const std::vector<std::string> devices = {"SEP001122334455", "../../escaped", "=cmd,x", "CTI-app",
                                            "CTI-APP"};
  for (const auto& d : devices)
    request(d);
  const auto dir = tmp_.path() / "out" / "export";
  auto report = offline_->export_requests(dir);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->files.size(), devices.size());
  std::map<std::string, std::string> file_of;
  for (std::size_t i = 0; i < report->requests.size(); ++i)
    file_of[report->requests[i].device_name] = report->files[i];
  EXPECT_EQ(file_of["SEP001122334455"], "SEP001122334455.csr");
  EXPECT_EQ(file_of["../../escaped"], ids_["../../escaped"] + ".csr");
  EXPECT_EQ(file_of["=cmd,x"], ids_["=cmd,x"] + ".csr");
  // Names that differ only in case do not overwrite each other.
  EXPECT_NE(file_of["CTI-app"], file_of["CTI-APP"]);
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "escaped.csr"));
  for (const auto& [device, file] : file_of)
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / file)) << device;

  auto members = read_archive(report->archive);
  ASSERT_TRUE(members) << members.error().message;
  EXPECT_EQ(members->size(), devices.size() + 1);
  for (const auto& m : *members) {
    EXPECT_EQ(m.name.find('/'), std::string::npos) << m.name;
    EXPECT_NE(m.name.front(), '.') << m.name;
  }
  std::ifstream in(dir / "manifest.csv");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().find(",=cmd"), std::string::npos) << "a formula cell:\n" << text.str();
  auto rows = parse_csv(text.str());
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), devices.size() + 1);
  EXPECT_EQ((*rows)[0].fields, (std::vector<std::string>{"request_id", "device", "key", "created",
                                                         "spki_sha256", "file"}));
  for (std::size_t i = 1; i < rows->size(); ++i) {
    const auto& f = (*rows)[i].fields;
    ASSERT_EQ(f.size(), 6u);
    EXPECT_EQ(f[0], ids_[f[1]]);
    EXPECT_EQ(f[5], file_of[f[1]]);
  }
}

}  // namespace
}  // namespace capf::testing
