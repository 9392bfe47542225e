// Opening a listening TCP socket, the same for the phone server (server/capf_server.cc) and the
// admin API (api/admin_server.cc): the address a configured host names, then open, bind and
// listen. Each caller words its own error messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace capf {

// The address a listen host names: "*" is every IPv4 address (0.0.0.0), a literal address is
// itself, a name is the first address it resolves to. nullopt when it names none, with the reason
// in `why` ("no address" when the name resolves to nothing).
std::optional<boost::asio::ip::address> listen_address(boost::asio::io_context& io,
                                                       const std::string& host, std::uint16_t port,
                                                       std::string& why);

// Opens `acceptor` on `endpoint` with SO_REUSEADDR (and IPV6_V6ONLY when `v6_only`), binds and
// listens; the first error, none when it listens.
boost::system::error_code open_listener(boost::asio::ip::tcp::acceptor& acceptor,
                                        const boost::asio::ip::tcp::endpoint& endpoint,
                                        bool v6_only);

}  // namespace capf
