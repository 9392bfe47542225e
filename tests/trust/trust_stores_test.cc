#include "capf/trust/trust_stores.h"

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "capf/pki/key.h"
#include "capf/pki/profiles.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/support/result_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf {
namespace {

namespace fs = std::filesystem;

using capf::testing::TempDir;

// Counts the reads that anchors() must avoid while nothing changes.
class CountingRepository final : public TrustRepository {
 public:
  explicit CountingRepository(TrustRepository& inner) : inner_(inner) {}
  Status add_trust(const TrustEntry& entry) override { return inner_.add_trust(entry); }
  Status remove_trust(const std::string& store, const std::string& fingerprint) override {
    return inner_.remove_trust(store, fingerprint);
  }
  Result<std::vector<TrustEntry>> list_trust(const std::string& store) override {
    ++lists;
    return inner_.list_trust(store);
  }
  Result<std::int64_t> trust_generation() override { return inner_.trust_generation(); }
  Result<std::int64_t> next_crl_number() override { return inner_.next_crl_number(); }

  std::atomic<int> lists{0};

 private:
  TrustRepository& inner_;
};

std::string message_of(const Status& s) {
  return s ? std::string("ok") : s.error().message;
}

class TrustStoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = open_registry();
    ASSERT_TRUE(registry_);
    trust_ = std::make_unique<TrustStores>(*registry_);
  }

  std::unique_ptr<SqliteRegistry> open_registry() {
    return testing::open_test_registry(dir_.path(), clock_);
  }

  // A fresh self-signed CA certificate with an EC key made now.
  pki::Certificate make_cert(const std::string& cn) {
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
    EXPECT_TRUE(key) << key.error().message;
    auto cert = pki::make_capf_certificate(*key, {"CN=" + cn + ",O=Example", 365}, clock_);
    EXPECT_TRUE(cert) << cert.error().message;
    return *cert;
  }

  TempDir dir_;
  FakeClock clock_{from_unix(1'772'323'200)};  // 2026-03-01
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<TrustStores> trust_;
};

TEST(TrustStoreNames, AcceptBothStoresInAnyCase) {
  EXPECT_EQ(*canonical_store_name("capf-trust"), "capf-trust");
  EXPECT_EQ(*canonical_store_name("CAPF-trust"), "capf-trust");
  EXPECT_EQ(*canonical_store_name("CallManager-trust"), "callmanager-trust");
  EXPECT_EQ(*canonical_store_name("CALLMANAGER-TRUST"), "callmanager-trust");
  auto bad = canonical_store_name("tomcat-trust");
  EXPECT_THAT(
      bad,
      FailsWith(
          ErrorCode::kInvalidArgument,
          "unknown trust store 'tomcat-trust': use capf-trust, mic-trust or callmanager-trust"));
  EXPECT_FALSE(canonical_store_name("capf"));
  EXPECT_FALSE(canonical_store_name(""));
}

TEST_F(TrustStoresTest, AddsListsAndGivesAnchors) {
  pki::Certificate root = make_cert("Root One");
  ASSERT_TRUE(trust_->add("CAPF-trust", root, "root.pem")) << "added";
  auto anchors = trust_->anchors(kCapfTrust);
  ASSERT_TRUE(anchors) << anchors.error().message;
  ASSERT_EQ(anchors->size(), 1u);
  EXPECT_TRUE((*anchors)[0] == root);

  auto entries = trust_->list("capf-trust");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  const TrustEntry& e = (*entries)[0];
  EXPECT_EQ(e.store, "capf-trust");
  EXPECT_EQ(e.fingerprint, root.fingerprint_sha256());
  EXPECT_EQ(e.subject, root.subject());
  EXPECT_EQ(e.issuer, root.issuer());
  EXPECT_EQ(to_unix(e.not_after), to_unix(root.not_after()));
  EXPECT_EQ(e.label, "root.pem");
  EXPECT_EQ(e.added, clock_.now());

  auto other = trust_->anchors(kCallManagerTrust);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TEST_F(TrustStoresTest, RefusesADuplicate) {
  pki::Certificate root = make_cert("Root Dup");
  ASSERT_TRUE(trust_->add(kCapfTrust, root, "first"));
  Status again = trust_->add(kCapfTrust, root, "second");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE(trust_->add(kCallManagerTrust, root, "in the other store"));
}

TEST_F(TrustStoresTest, UnknownStoreIsInvalidArgumentEverywhere) {
  pki::Certificate root = make_cert("Root X");
  EXPECT_EQ(trust_->add("tomcat-trust", root, "x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(trust_->anchors("tomcat-trust").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(trust_->list("tomcat-trust").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(trust_->remove("tomcat-trust", "12345678").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(trust_->add_pem_bundle("tomcat-trust", root.pem(), "x").error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(TrustStoresTest, AddsEveryCertificateOfABundle) {
  pki::Certificate a = make_cert("Bundle A");
  pki::Certificate b = make_cert("Bundle B");
  pki::Certificate c = make_cert("Bundle C");
  std::string bundle =
      "subject=CN=Bundle A\n" + a.pem() + "\n# comment between blocks\n" + b.pem() + c.pem();
  auto added = trust_->add_pem_bundle(kCapfTrust, bundle, "roots.pem");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(*added, 3);
  auto anchors = trust_->anchors(kCapfTrust);
  ASSERT_TRUE(anchors);
  EXPECT_EQ(anchors->size(), 3u);

  // Known certificates are skipped; a bundle of only known ones is kAlreadyExists.
  pki::Certificate d = make_cert("Bundle D");
  auto one_new = trust_->add_pem_bundle(kCapfTrust, a.pem() + d.pem(), "more.pem");
  ASSERT_TRUE(one_new) << one_new.error().message;
  EXPECT_EQ(*one_new, 1);
  auto none_new = trust_->add_pem_bundle(kCapfTrust, bundle, "roots.pem");
  ASSERT_FALSE(none_new);
  EXPECT_EQ(none_new.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(TrustStoresTest, RefusesABundleWithAPrivateKeyAndAddsNothing) {
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  ASSERT_TRUE(key);
  auto key_pem = key->to_pem();
  ASSERT_TRUE(key_pem);
  pki::Certificate a = make_cert("Key Bundle");
  auto added = trust_->add_pem_bundle(kCapfTrust, a.pem() + *key_pem, "leaky.pem");
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(added.error().message.find("PRIVATE KEY"), std::string::npos) << added.error().message;
  EXPECT_NE(added.error().message.find("nothing was added"), std::string::npos);
  auto entries = trust_->list(kCapfTrust);
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

TEST_F(TrustStoresTest, RefusesBrokenOrEmptyBundlesAndAddsNothing) {
  pki::Certificate a = make_cert("Good One");
  const std::string broken = "-----BEGIN CERTIFICATE-----\nMIIBbroken\n-----END CERTIFICATE-----\n";
  auto bad = trust_->add_pem_bundle(kCapfTrust, a.pem() + broken, "broken.pem");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);

  auto empty = trust_->add_pem_bundle(kCapfTrust, "just some text\n", "empty.pem");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(empty.error().message.find("no PEM certificate"), std::string::npos);

  const std::string csr =
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE "
      "REQUEST-----\n";
  auto request = trust_->add_pem_bundle(kCapfTrust, csr + a.pem(), "csr.pem");
  ASSERT_FALSE(request);
  EXPECT_NE(request.error().message.find("CERTIFICATE REQUEST"), std::string::npos);

  auto entries = trust_->list(kCapfTrust);
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

TEST_F(TrustStoresTest, RemovesByFingerprintPrefix) {
  pki::Certificate a = make_cert("Remove A");
  pki::Certificate b = make_cert("Remove B");
  ASSERT_TRUE(trust_->add(kCapfTrust, a, "a"));
  ASSERT_TRUE(trust_->add(kCapfTrust, b, "b"));
  ASSERT_EQ(trust_->anchors(kCapfTrust)->size(), 2u);

  EXPECT_EQ(trust_->remove(kCapfTrust, a.fingerprint_sha256().substr(0, 7)).error().code,
            ErrorCode::kInvalidArgument);
  Status removed = trust_->remove("CAPF-trust", a.fingerprint_sha256().substr(0, 12));
  ASSERT_TRUE(removed) << message_of(removed);
  auto anchors = trust_->anchors(kCapfTrust);
  ASSERT_TRUE(anchors);
  ASSERT_EQ(anchors->size(), 1u);
  EXPECT_TRUE((*anchors)[0] == b);
  EXPECT_EQ(trust_->remove(kCapfTrust, a.fingerprint_sha256()).error().code, ErrorCode::kNotFound);
}

TEST_F(TrustStoresTest, AnchorsAreCachedUntilTheGenerationMoves) {
  CountingRepository counting(*registry_);
  TrustStores trust(counting);
  ASSERT_TRUE(trust.add(kCapfTrust, make_cert("Cache A"), "a"));

  for (int i = 0; i < 5; ++i) {
    auto anchors = trust.anchors(kCapfTrust);
    ASSERT_TRUE(anchors);
    EXPECT_EQ(anchors->size(), 1u);
  }
  EXPECT_EQ(counting.lists.load(), 1);

  ASSERT_TRUE(trust.add(kCallManagerTrust, make_cert("Cache B"), "b"));
  auto anchors = trust.anchors(kCapfTrust);
  ASSERT_TRUE(anchors);
  EXPECT_EQ(anchors->size(), 1u);
  EXPECT_EQ(counting.lists.load(), 2);  // any trust change reloads
}

TEST_F(TrustStoresTest, SeesChangesMadeByAnotherProcess) {
  ASSERT_TRUE(trust_->anchors(kCapfTrust));  // cached, empty
  auto cli_registry = open_registry();       // as `opencapf trust add` would open it
  ASSERT_TRUE(cli_registry);
  TrustStores cli(*cli_registry);
  pki::Certificate root = make_cert("From The CLI");
  ASSERT_TRUE(cli.add(kCapfTrust, root, "cli"));

  auto anchors = trust_->anchors(kCapfTrust);
  ASSERT_TRUE(anchors);
  ASSERT_EQ(anchors->size(), 1u);
  EXPECT_TRUE((*anchors)[0] == root);

  ASSERT_TRUE(cli.remove(kCapfTrust, root.fingerprint_sha256().substr(0, 16)));
  anchors = trust_->anchors(kCapfTrust);
  ASSERT_TRUE(anchors);
  EXPECT_TRUE(anchors->empty());
}

TEST_F(TrustStoresTest, ConcurrentSessionsReadWhileAnAdminWrites) {
  std::vector<pki::Certificate> certs;
  for (int i = 0; i < 4; ++i) {
    certs.push_back(make_cert("Concurrent " + std::to_string(i)));
  }
  ASSERT_TRUE(trust_->add(kCapfTrust, certs[0], "base"));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> sessions;
  for (int t = 0; t < 4; ++t) {
    sessions.emplace_back([&] {
      while (!stop.load()) {
        auto anchors = trust_->anchors(kCapfTrust);
        if (!anchors || anchors->empty() || anchors->size() > certs.size()) {
          ++failures;
        }
      }
    });
  }
  for (int round = 0; round < 10; ++round) {
    for (std::size_t i = 1; i < certs.size(); ++i) {
      ASSERT_TRUE(trust_->add(kCapfTrust, certs[i], "churn"));
    }
    for (std::size_t i = 1; i < certs.size(); ++i) {
      ASSERT_TRUE(trust_->remove(kCapfTrust, certs[i].fingerprint_sha256()));
    }
  }
  stop = true;
  for (auto& t : sessions) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  auto anchors = trust_->anchors(kCapfTrust);
  ASSERT_TRUE(anchors);
  EXPECT_EQ(anchors->size(), 1u);
}

}  // namespace
}  // namespace capf
