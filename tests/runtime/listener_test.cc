#include "capf/runtime/listener.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

TEST(ListenAddress, StarIsEveryIpv4AddressAndLiteralsAreThemselves) {
  struct Case {
    const char* host;
    const char* address;
  };
  for (const Case& c : {Case{"*", "0.0.0.0"}, Case{"127.0.0.2", "127.0.0.2"}, Case{"::1", "::1"}}) {
    SCOPED_TRACE(c.host);
    asio::io_context io;
    std::string why;
    auto address = listen_address(io, c.host, 3804, why);
    ASSERT_TRUE(address.has_value()) << why;
    EXPECT_EQ(address->to_string(), c.address);
  }
}

TEST(ListenAddress, NameResolvesToLoopback) {
  asio::io_context io;
  std::string why;
  auto address = listen_address(io, "localhost", 3804, why);
  ASSERT_TRUE(address.has_value()) << why;
  EXPECT_TRUE(address->is_loopback()) << address->to_string();
}

TEST(ListenAddress, UnknownNameSaysWhy) {
  asio::io_context io;
  std::string why;
  EXPECT_FALSE(listen_address(io, "no-such-host.invalid", 3804, why).has_value());
  EXPECT_FALSE(why.empty());
}

TEST(OpenListener, ListensOnLoopbackAndAcceptsAConnection) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  ASSERT_FALSE(open_listener(acceptor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
                             /*v6_only=*/false));
  const tcp::endpoint bound = acceptor.local_endpoint();
  EXPECT_NE(bound.port(), 0);
  tcp::socket client(io);
  client.connect(bound);
  tcp::socket server(io);
  acceptor.accept(server);
  EXPECT_EQ(server.remote_endpoint().port(), client.local_endpoint().port());
}

TEST(OpenListener, PortInUseIsAnErrorAndLeavesTheFirstListening) {
  asio::io_context io;
  tcp::acceptor first(io);
  ASSERT_FALSE(open_listener(first, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
                             /*v6_only=*/false));
  tcp::acceptor second(io);
  boost::system::error_code ec = open_listener(second, first.local_endpoint(), /*v6_only=*/false);
  EXPECT_EQ(ec, asio::error::address_in_use) << ec.message();
  tcp::socket client(io);
  client.connect(first.local_endpoint());
  tcp::socket server(io);
  first.accept(server);
  EXPECT_TRUE(server.is_open());
}

}  // namespace
}  // namespace capf
