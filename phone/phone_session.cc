#include "phone/phone_session.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "phone/phone_conversation.h"

namespace capf::phone {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyDuration = std::chrono::steady_clock::duration;

constexpr auto kShutdownBound = std::chrono::seconds(2);
constexpr auto kInProgressInterval = std::chrono::milliseconds(10'000);

// The socket side of a session. Every operation runs under a watchdog that closes the socket when
// it takes longer than the bound (Boost 1.74 has no awaitable operators to race a timer).
class Transport : public std::enable_shared_from_this<Transport> {
 public:
  Transport(const asio::any_io_executor& executor, asio::ssl::context& tls,
            std::chrono::seconds timeout)
      : resolver_(executor),
        stream_(executor, tls),
        watchdog_(executor),
        pause_(executor),
        timeout_(timeout) {}

  asio::awaitable<Status> connect(const std::string& host, std::uint16_t port,
                                  const std::string& source) {
    boost::system::error_code ec;
    arm(timeout_);
    auto endpoints = co_await resolver_.async_resolve(
        host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && source.empty()) {
      co_await asio::async_connect(stream_.lowest_layer(), endpoints,
                                   asio::redirect_error(asio::use_awaitable, ec));
    } else if (!ec) {
      // From `source`: to the first address of `host`, bound before connecting.
      auto& socket = stream_.lowest_layer();
      const tcp::endpoint to = endpoints.begin()->endpoint();
      const auto from = asio::ip::make_address(source, ec);
      if (!ec)
        socket.open(to.protocol(), ec);
      if (!ec)
        socket.bind({from, 0}, ec);
      if (!ec)
        co_await socket.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm();
    if (ec) {
      co_return failure(ec);
    }
    stream_.lowest_layer().set_option(tcp::no_delay(true), ec);
    co_return ok();
  }

  asio::awaitable<Status> handshake() {
    boost::system::error_code ec;
    arm(timeout_);
    co_await stream_.async_handshake(asio::ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
    disarm();
    if (!ec) {
      co_return ok();
    }
    const long verify = SSL_get_verify_result(stream_.native_handle());
    if (verify != X509_V_OK) {
      co_return make_error(ErrorCode::kUntrusted,
                           "the server's certificate is not trusted ({}): give the CAPF "
                           "certificate the server uses",
                           X509_verify_cert_error_string(verify));
    }
    co_return failure(ec);
  }

  asio::awaitable<Status> read_exactly(std::span<std::uint8_t> buffer) {
    boost::system::error_code ec;
    arm(timeout_);
    co_await asio::async_read(stream_, asio::buffer(buffer.data(), buffer.size()),
                              asio::redirect_error(asio::use_awaitable, ec));
    disarm();
    co_return ec ? failure(ec) : ok();
  }

  // One TLS write per frame (docs/protocol.md §2.4), or two with `split` (header bytes 0-2, then
  // the rest).
  asio::awaitable<Status> write(ByteView frame, bool split) {
    boost::system::error_code ec;
    arm(timeout_);
    std::size_t first = split ? std::min<std::size_t>(3, frame.size()) : frame.size();
    co_await asio::async_write(stream_, asio::buffer(frame.data(), first),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && first < frame.size()) {
      co_await asio::async_write(stream_, asio::buffer(frame.data() + first, frame.size() - first),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm();
    co_return ec ? failure(ec) : ok();
  }

  asio::awaitable<void> pause(SteadyDuration duration) {
    boost::system::error_code ec;
    pause_.expires_after(duration);
    co_await pause_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  // close_notify both ways, bounded: a server that closes TCP without close_notify is fine.
  asio::awaitable<void> shutdown(SteadyDuration bound) {
    boost::system::error_code ec;
    arm(bound);
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    disarm();
  }

  void close() {
    disarm();
    boost::system::error_code ignored;
    stream_.lowest_layer().close(ignored);
  }

  std::string tls_version() { return SSL_get_version(stream_.native_handle()); }
  std::string tls_cipher() {
    const char* name = SSL_get_cipher_name(stream_.native_handle());
    return name != nullptr ? name : "";
  }

 private:
  void arm(SteadyDuration bound) {
    timed_out_ = false;
    const auto generation = ++generation_;
    watchdog_.expires_after(bound);
    watchdog_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->generation_ != generation) {
        return;
      }
      self->timed_out_ = true;
      self->resolver_.cancel();
      boost::system::error_code ignored;
      self->stream_.lowest_layer().close(ignored);
    });
  }

  void disarm() {
    ++generation_;
    watchdog_.cancel();
  }

  Error failure(const boost::system::error_code& ec) const {
    if (timed_out_) {
      return make_error(ErrorCode::kTimeout, "no answer within {} s", timeout_.count());
    }
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      return make_error(ErrorCode::kIo, "the server closed the connection");
    }
    return make_error(ErrorCode::kIo, "{}", ec.message());
  }

  tcp::resolver resolver_;
  asio::ssl::stream<tcp::socket> stream_;
  asio::steady_timer watchdog_;
  asio::steady_timer pause_;
  std::chrono::seconds timeout_;
  std::uint64_t generation_ = 0;
  bool timed_out_ = false;
};

// Sends the REQUEST_IN_PROGRESS frames, "generates" for options.keygen_delay, obtains the key and
// sends KEY_GENERATE_RESPONSE. False if the session had to be ended.
asio::awaitable<bool> generate_key(Transport& transport, const PhoneOptions& options,
                                   PhoneConversation& conversation, const KeySpec& spec) {
  // Callers pass named frames: g++ 12 destroys some temporaries in a co_await expression twice
  // (seen with brace-initialised aggregates holding a vector), so no temporaries go in here.
  auto send = [&](const Result<Bytes>& frame) -> asio::awaitable<bool> {
    if (!frame) {
      conversation.fail("internal error: " + frame.error().message);
      co_return false;
    }
    auto sent = co_await transport.write(*frame, options.split_header_writes);
    if (!sent) {
      conversation.lose_connection("cannot send to the server: " + sent.error().message);
      co_return false;
    }
    co_return true;
  };
  for (int i = 0; i < options.in_progress_messages; ++i) {
    auto busy = conversation.in_progress();
    if (!co_await send(busy)) {
      co_return false;
    }
  }
  if (options.on_generating)
    options.on_generating();
  SteadyDuration remaining = options.keygen_delay;
  while (remaining > SteadyDuration::zero()) {
    const SteadyDuration step = std::min<SteadyDuration>(remaining, kInProgressInterval);
    co_await transport.pause(step);
    remaining -= step;
    auto busy = conversation.in_progress();
    if (!co_await send(busy)) {
      co_return false;
    }
  }
  std::optional<pki::PrivateKey> key;
  if (options.key_source) {
    key = options.key_source(spec);
  }
  Result<pki::PrivateKey> result =
      key ? Result<pki::PrivateKey>(std::move(*key)) : pki::PrivateKey::generate(spec);
  auto response = conversation.on_key(std::move(result));
  co_return co_await send(response);
}

asio::awaitable<void> converse(Transport& transport, const PhoneOptions& options,
                               PhoneConversation& conversation) {
  const std::string server = fmt::format("{}:{}", options.host, options.port);
  if (auto connected =
          co_await transport.connect(options.host, options.port, options.source_address);
      !connected) {
    conversation.lose_connection(
        fmt::format("cannot connect to {}: {}", server, connected.error().message));
    co_return;
  }
  if (auto secured = co_await transport.handshake(); !secured) {
    conversation.lose_connection(
        fmt::format("TLS handshake with {} failed: {}", server, secured.error().message));
    co_return;
  }
  conversation.report().tls_version = transport.tls_version();
  conversation.report().tls_cipher = transport.tls_cipher();

  Bytes frame;
  while (!conversation.ended()) {
    frame.assign(protocol::kHeaderSize, 0);
    if (auto read = co_await transport.read_exactly(frame); !read) {
      conversation.lose_connection(
          fmt::format("{} while waiting for {}", read.error().message, conversation.waiting_for()));
      co_return;
    }
    auto header = conversation.on_header(frame);
    if (!header) {
      conversation.fail("protocol error: " + header.error().message);
      co_return;
    }
    frame.resize(protocol::kHeaderSize + header->payload_length);
    if (header->payload_length > 0) {
      auto payload = std::span<std::uint8_t>(frame).subspan(protocol::kHeaderSize);
      if (auto read = co_await transport.read_exactly(payload); !read) {
        conversation.lose_connection(fmt::format("{} while reading {}", read.error().message,
                                                 protocol::command_name(header->command)));
        co_return;
      }
    }
    auto action = conversation.on_frame(frame);
    if (!action) {
      conversation.fail("protocol error: " + action.error().message);
      co_return;
    }
    if (const auto* send = std::get_if<SendFrames>(&*action)) {
      for (const auto& out : send->frames) {
        if (auto sent = co_await transport.write(out, options.split_header_writes); !sent) {
          conversation.lose_connection("cannot send to the server: " + sent.error().message);
          co_return;
        }
      }
    } else if (const auto* generate = std::get_if<GenerateKey>(&*action)) {
      if (!co_await generate_key(transport, options, conversation, generate->spec)) {
        co_return;
      }
    } else {
      co_await transport.shutdown(std::min<SteadyDuration>(kShutdownBound, options.timeout));
    }
  }
}

}  // namespace

asio::awaitable<SessionReport> run_session(asio::ssl::context& tls, PhoneOptions options,
                                           PhoneState& state) {
  const auto start = std::chrono::steady_clock::now();
  PhoneConversation conversation(options, state);
  try {
    auto executor = co_await asio::this_coro::executor;
    auto transport = std::make_shared<Transport>(executor, tls, options.timeout);
    co_await converse(*transport, options, conversation);
    transport->close();
  } catch (const std::exception& e) {
    conversation.fail(fmt::format("internal error: {}", e.what()));
  }
  SessionReport report = std::move(conversation.report());
  report.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  co_return report;
}

SessionReport run_session_blocking(const PhoneOptions& options, PhoneState& state) {
  SessionReport report;
  auto tls = make_phone_tls_context(options);
  if (!tls) {
    report.summary = tls.error().message;
    return report;
  }
  asio::io_context io;
  asio::co_spawn(io, run_session(**tls, options, state),
                 [&report](std::exception_ptr error, SessionReport result) {
                   if (error) {
                     report.summary = "internal error: the session ended with an exception";
                     return;
                   }
                   report = std::move(result);
                 });
  io.run();
  return report;
}

}  // namespace capf::phone
