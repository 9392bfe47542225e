// The phone port and the admin API as the daemon builds them from opencapf.toml: per-address
// limits (127.0.0.1 at its limit, 127.0.0.2 still served, refusals in /metrics), the TLS suites
// the phone port accepts, and the admin listener's own certificate.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "capf/api/admin_tls.h"
#include "tests/api/tls_probe.h"
#include "tests/integration/server_fixture.h"

namespace capf::testing {
namespace {

class ListenerLimits : public ServerFixture {
 protected:
  // Waits until the server has seen `n` connections (it counts them as it accepts).
  void wait_accepted(std::uint64_t n) {
    for (int i = 0; i < 200 && daemon_->counters().accepted < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_GE(daemon_->counters().accepted, n);
  }
};

TEST_F(ListenerLimits, PhonePortLimitsEachAddressAndServesTheOthers) {
  struct Case {
    const char* what;
    const char* toml;
    bool connections;
  };
  const Case cases[] = {
      {"connections", "[server]\nmax_connections_per_address = 2\nmax_handshakes_per_address = 0\n",
       true},
      {"handshakes", "[server]\nmax_connections_per_address = 0\nmax_handshakes_per_address = 2\n",
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    daemon_.reset();
    env_.reset();
    ASSERT_NO_FATAL_FAILURE(start(c.toml));
    TlsProbe a("127.0.0.1", port_);
    TlsProbe b("127.0.0.1", port_);
    ASSERT_TRUE(a.connected() && b.connected());
    ASSERT_NO_FATAL_FAILURE(wait_accepted(2));
    TlsProbe third("127.0.0.1", port_);
    ASSERT_TRUE(third.connected());
    EXPECT_TRUE(third.closed_by_server());
    TlsProbe other("127.0.0.2", port_);
    ASSERT_TRUE(other.connected()) << "127.0.0.2 must be a loopback address here";
    EXPECT_TRUE(other.handshake()) << "another address is served";
    ServerCounters counters = daemon_->counters();
    EXPECT_EQ(
        c.connections ? counters.refused_address_connections : counters.refused_address_handshakes,
        1u);
  }
}

// A finished handshake gives its slot back: with one handshake per address, a second connection
// from the same address is served while the first stays open. (The server learns that the
// handshake is over a moment after the client does: the second one may need a few tries.)
TEST_F(ListenerLimits, ACompletedHandshakeGivesItsSlotBack) {
  ASSERT_NO_FATAL_FAILURE(start("[server]\nmax_handshakes_per_address = 1\n"));
  TlsProbe first("127.0.0.1", port_);
  ASSERT_TRUE(first.handshake());
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    TlsProbe second("127.0.0.1", port_);
    served = second.handshake();
    if (!served)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served) << "the first connection still holds the only handshake slot";
}

// The modern profile offers ECDHE only: a client offering static-RSA key exchange is refused, and
// ECDHE works with TLS 1.2 and 1.3.
TEST_F(ListenerLimits, PhonePortOffersEcdheSuitesOnly) {
  ASSERT_NO_FATAL_FAILURE(start());
  struct Case {
    const char* what;
    TlsOffer offer;
    bool served;
  };
  const Case cases[] = {
      {"static RSA AES128-SHA", {"AES128-SHA", TLS1_2_VERSION, TLS1_2_VERSION}, false},
      {"static RSA AES256-GCM", {"AES256-GCM-SHA384", TLS1_2_VERSION, TLS1_2_VERSION}, false},
      {"any kRSA suite", {"kRSA", TLS1_2_VERSION, TLS1_2_VERSION}, false},
      {"ECDHE TLS 1.2", {"ECDHE-RSA-AES128-GCM-SHA256", TLS1_2_VERSION, TLS1_2_VERSION}, true},
      {"ECDHE CBC TLS 1.2", {"ECDHE-RSA-AES128-SHA", TLS1_2_VERSION, TLS1_2_VERSION}, true},
      {"TLS 1.3", {"DEFAULT", TLS1_3_VERSION, TLS1_3_VERSION}, true},
  };
  for (const Case& c : cases) {
    TlsProbe probe("127.0.0.1", port_);
    ASSERT_TRUE(probe.connected());
    EXPECT_EQ(probe.handshake(c.offer), c.served) << c.what;
  }
}

// The admin API presents its own certificate (made at init), not the CAPF one; a data directory
// made before that gets one on its first serve.
TEST_F(ListenerLimits, AdminApiHasItsOwnCertificate) {
  admin_listen_ = "127.0.0.1:0";
  ASSERT_NO_FATAL_FAILURE(start());
  const auto cert_file = data_ / api::kAdminCertFile;
  const auto key_file = data_ / api::kAdminKeyFile;
  ASSERT_TRUE(std::filesystem::exists(cert_file));
  EXPECT_EQ(std::filesystem::status(key_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto presented = [&] {
    TlsProbe probe("127.0.0.1", *daemon_->admin_port());
    EXPECT_TRUE(probe.handshake());
    auto cert = pki::Certificate::from_der(probe.peer_der());
    return cert ? cert->fingerprint_sha256() : std::string("no certificate");
  };
  std::string first = presented();
  EXPECT_NE(first, daemon_->identity().certificate.fingerprint_sha256());
  // An older data directory: no admin pair. Serving makes one, and uses it.
  daemon_.reset();
  env_.reset();
  std::filesystem::remove(cert_file);
  std::filesystem::remove(key_file);
  ASSERT_NO_FATAL_FAILURE(open_and_serve({"127.0.0.1:0"}));
  ASSERT_TRUE(std::filesystem::exists(cert_file));
  std::string made = presented();
  EXPECT_NE(made, daemon_->identity().certificate.fingerprint_sha256());
  EXPECT_NE(made, first);
}

}  // namespace
}  // namespace capf::testing
