// The phone port and the admin API as the daemon builds them from opencapf.toml: per-address
// limits (127.0.0.1 at its limit, 127.0.0.2 still served, refusals in /metrics), the TLS suites
// the phone port accepts, and the admin listener's own certificate.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
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

TEST_F(ListenerLimits, PhonePortClosesConnectionsOverAnAddresssLimitAndServesTheOthers) {
  ASSERT_NO_FATAL_FAILURE(
      start("[server]\nmax_connections_per_address = 2\nmax_handshakes_per_address = 0\n"));
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
  EXPECT_EQ(daemon_->counters().refused_address_connections, 1u);
}

// Over the handshake limit a connection waits for its address's slot (phones behind one NAT
// address come in bursts): it is served when a slot frees, and closed (one refusal) when none
// frees within the handshake timeout. Other addresses are served meanwhile.
TEST_F(ListenerLimits, PhonePortQueuesHandshakesOverAnAddresssLimit) {
  ASSERT_NO_FATAL_FAILURE(
      start("[server]\nmax_connections_per_address = 0\nmax_handshakes_per_address = 2\n"
            "[timeouts]\nhandshake_seconds = 2\n"));
  auto a = std::make_unique<TlsProbe>("127.0.0.1", port_);
  TlsProbe b("127.0.0.1", port_);
  ASSERT_TRUE(a->connected() && b.connected());
  ASSERT_NO_FATAL_FAILURE(wait_accepted(2));
  TlsProbe waiting("127.0.0.1", port_);
  ASSERT_TRUE(waiting.connected());
  ASSERT_NO_FATAL_FAILURE(wait_accepted(3));
  TlsProbe other("127.0.0.2", port_);
  ASSERT_TRUE(other.connected()) << "127.0.0.2 must be a loopback address here";
  EXPECT_TRUE(other.handshake()) << "another address is served";
  a.reset();  // the server sees the end of a's handshake and gives its slot to the waiting one
  EXPECT_TRUE(waiting.handshake()) << "the waiting connection is served once a slot frees";
  EXPECT_EQ(daemon_->counters().refused_address_handshakes, 0u);

  // b still holds a slot and `waiting` (now past its handshake) does not: fill the other one.
  TlsProbe c("127.0.0.1", port_);
  ASSERT_NO_FATAL_FAILURE(wait_accepted(5));
  TlsProbe late("127.0.0.1", port_);
  ASSERT_TRUE(late.connected());
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(late.closed_by_server());
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(1000))
      << "closed at once instead of waiting for a slot";
  EXPECT_EQ(daemon_->counters().refused_address_handshakes, 1u);
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
