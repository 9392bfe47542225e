// A deliberately badly behaved CAPF client for the bad-input tests: plain Boost.Asio TLS with no
// protocol logic, so a test can send any bytes, split them anywhere, or go silent.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "capf/common/bytes.h"
#include "capf/protocol/message.h"

namespace capf::testing {

class RawClient {
 public:
  explicit RawClient(std::uint16_t port)
      : tls_(boost::asio::ssl::context::tls_client), stream_(io_, tls_) {
    tls_.set_verify_mode(boost::asio::ssl::verify_none);
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    stream_.next_layer().connect(ep);
    timeval tv{10, 0};
    ::setsockopt(stream_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void handshake() { stream_.handshake(boost::asio::ssl::stream_base::client); }
  boost::asio::ip::tcp::socket& socket() { return stream_.next_layer(); }

  void write(ByteView bytes) {
    boost::asio::write(stream_, boost::asio::buffer(bytes.data(), bytes.size()));
  }
  void send(const protocol::Message& m) { write(*protocol::encode(m)); }

  // The next whole frame, or nullopt if the server closed the connection (or went silent 10 s).
  std::optional<protocol::Message> read() {
    Bytes frame(protocol::kHeaderSize);
    boost::system::error_code ec;
    boost::asio::read(stream_, boost::asio::buffer(frame), ec);
    if (ec)
      return std::nullopt;
    auto header = protocol::parse_header(frame);
    if (!header)
      return std::nullopt;
    frame.resize(protocol::kHeaderSize + header->payload_length);
    boost::asio::read(stream_, boost::asio::buffer(frame.data() + 8, header->payload_length), ec);
    if (ec)
      return std::nullopt;
    auto m = protocol::decode(frame);
    if (!m)
      return std::nullopt;
    return *m;
  }

  // Reads frames until END_SESSION and returns its reason, or nullopt if the server just closed.
  std::optional<std::uint8_t> end_reason() {
    while (auto m = read()) {
      if (m->command == static_cast<std::uint8_t>(protocol::Command::kEndSession)) {
        auto end = protocol::parse_end_session(*m);
        if (end)
          return end->reason;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // Reads the AUTH_REQUEST and returns the session id.
  std::uint32_t open() {
    handshake();
    auto m = read();
    return m ? m->session_id : 0;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
};

}  // namespace capf::testing
