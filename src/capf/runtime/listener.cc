#include "capf/runtime/listener.h"

#include <boost/asio/ip/v6_only.hpp>

namespace capf {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

std::optional<asio::ip::address> listen_address(asio::io_context& io, const std::string& host,
                                                std::uint16_t port, std::string& why) {
  const std::string name = host == "*" ? "0.0.0.0" : host;
  error_code ec;
  auto address = asio::ip::make_address(name, ec);
  if (!ec)
    return address;
  // A host name: resolve it (loopback names in tests, a service name in production).
  tcp::resolver resolver(io);
  auto results = resolver.resolve(name, std::to_string(port), ec);
  if (ec || results.empty()) {
    why = ec ? ec.message() : "no address";
    return std::nullopt;
  }
  return results.begin()->endpoint().address();
}

error_code open_listener(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool v6_only) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && v6_only)
    acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

}  // namespace capf
