#include "tests/phone/fake_capf_server.h"

#include <openssl/ssl.h>

#include <exception>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "capf/protocol/server_session.h"
#include "phone/phone_session.h"

namespace capf::phone::testing {
namespace {

namespace asio = boost::asio;
namespace proto = capf::protocol;
using tcp = asio::ip::tcp;
using Stream = asio::ssl::stream<tcp::socket>;

// "Now" an hour ago, for certificates used in a TLS handshake at once. notBefore is the clock's
// second, while OpenSSL checks validity with time(), which reads the kernel's coarse clock: for a
// few milliseconds after a second begins it still gives the previous second, and a certificate
// made in that window is "not yet valid" to a peer that checks it right away.
const Clock& backdated_clock() {
  static const FakeClock clock(SystemClock().now() - std::chrono::hours(1));
  return clock;
}

Credential make_capf(std::string_view subject) {
  auto key = pki::PrivateKey::generate(KeySpec{KeyType::kRsa, 2048});
  if (!key) {
    std::terminate();
  }
  auto cert = pki::make_capf_certificate(*key, {std::string(subject), 365}, backdated_clock());
  if (!cert) {
    std::terminate();
  }
  return Credential{*cert, *key};
}

std::unique_ptr<asio::ssl::context> server_tls(const Credential& credential, bool legacy) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  const std::string cert_pem = credential.certificate.pem();
  const std::string key_pem = credential.key.to_pem().value();
  ctx->use_certificate(asio::buffer(cert_pem), asio::ssl::context::pem);
  ctx->use_private_key(asio::buffer(key_pem), asio::ssl::context::pem);
  if (legacy) {
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_VERSION);
    SSL_CTX_set_cipher_list(ctx->native_handle(), "DEFAULT:@SECLEVEL=0");
  }
  return ctx;
}

// One scripted server connection.
class ServerConnection {
 public:
  ServerConnection(Stream& stream, const ServerScript& script, ServerRecord& record,
                   const Credential& credential)
      : stream_(stream),
        script_(script),
        record_(record),
        credential_(credential),
        session_(script.session_id) {}

  asio::awaitable<void> run() {
    boost::system::error_code ec;
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail("handshake: " + ec.message());
      co_return;
    }
    // Named messages only: g++ 12 destroys a brace-initialised aggregate temporary holding a
    // vector twice when it is passed into a co_await expression.
    const proto::AuthRequest auth_request{proto::kServerVersion, script_.auth_type};
    if (!co_await send(auth_request)) {
      co_return;
    }
    auto event = co_await receive();
    if (!event) {
      co_return;
    }
    record_.auth = std::get<proto::AuthResponse>(*event);
    const std::string device = record_.auth->device_name;
    switch (script_.mode) {
      case ServerMode::kInstall:
        co_await install(device);
        break;
      case ServerMode::kFetch:
        if (co_await send(proto::FetchCertificateRequest())) {
          if (auto reply = co_await receive()) {
            record_.fetch = std::get<proto::FetchCertificateResponse>(*reply);
            co_await end(proto::reason::kNoAction);
          }
        }
        break;
      case ServerMode::kDelete:
        if (co_await send(proto::DeleteCertificateRequest{})) {
          if (auto reply = co_await receive()) {
            record_.delete_reason = std::get<proto::DeleteCertificateResponse>(*reply).reason;
            co_await end(*record_.delete_reason == proto::reason::kSuccess
                             ? proto::reason::kSuccess
                             : proto::reason::kFailure);
          }
        }
        break;
      case ServerMode::kNone:
        co_await end(proto::reason::kNoAction);
        break;
      case ServerMode::kUnknownDevice:
        co_await end(proto::reason::kUnknownDevice);
        break;
      case ServerMode::kRefuse:
        co_await end(proto::reason::kFailure);
        break;
      case ServerMode::kSilentAfterAuth: {
        Bytes sink(1);
        co_await asio::async_read(stream_, asio::buffer(sink),
                                  asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      case ServerMode::kChangeSessionId: {
        auto frame = proto::encode(
            proto::to_message(script_.session_id + 1, proto::EndSession{proto::reason::kNoAction}));
        co_await write(frame.value());
        break;
      }
    }
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

 private:
  void fail(std::string what) {
    if (record_.error.empty()) {
      record_.error = std::move(what);
    }
  }

  asio::awaitable<bool> write(const Bytes& frame) {
    boost::system::error_code ec;
    co_await asio::async_write(stream_, asio::buffer(frame),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail("write: " + ec.message());
      co_return false;
    }
    co_return true;
  }

  template <typename M>
  asio::awaitable<bool> send(const M& message) {
    auto frame = session_.send(message);
    if (!frame) {
      fail("send: " + frame.error().message);
      co_return false;
    }
    co_return co_await write(*frame);
  }

  asio::awaitable<void> end(std::uint8_t reason) {
    record_.end_reason = reason;
    co_await send(proto::EndSession{reason});
  }

  // The next client event other than REQUEST_IN_PROGRESS (those are counted).
  asio::awaitable<std::optional<proto::ClientEvent>> receive() {
    while (true) {
      boost::system::error_code ec;
      Bytes frame(proto::kHeaderSize);
      co_await asio::async_read(stream_, asio::buffer(frame),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        fail("read header: " + ec.message());
        co_return std::nullopt;
      }
      auto header = proto::parse_header(frame);
      if (!header) {
        fail("header: " + header.error().message);
        co_return std::nullopt;
      }
      frame.resize(proto::kHeaderSize + header->payload_length);
      co_await asio::async_read(
          stream_, asio::buffer(frame.data() + proto::kHeaderSize, header->payload_length),
          asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        fail("read payload: " + ec.message());
        co_return std::nullopt;
      }
      auto event = session_.receive(frame);
      if (!event) {
        fail("receive: " + event.error().message);
        co_return std::nullopt;
      }
      if (std::holds_alternative<proto::RequestInProgress>(*event)) {
        ++record_.in_progress;
        continue;
      }
      co_return std::move(event).value();
    }
  }

  asio::awaitable<void> install(const std::string& device) {
    std::optional<Bytes> spki;
    for (const auto& spec : script_.keys) {
      proto::KeyGenerateRequest request;
      if (spec.type == KeyType::kRsa) {
        request.key_type = proto::kKeyTypeRsa;
        request.key_size = static_cast<std::uint16_t>(spec.bits);
      } else {
        request.key_type = proto::kKeyTypeEc;
        request.curve = spec.bits == 256   ? proto::kCurveP256
                        : spec.bits == 384 ? proto::kCurveP384
                                           : proto::kCurveP521;
      }
      if (!co_await send(request)) {
        co_return;
      }
      auto reply = co_await receive();
      if (!reply) {
        co_return;
      }
      const auto& response = std::get<proto::KeyGenerateResponse>(*reply);
      record_.key_responses.push_back(response);
      if (response.public_key) {
        spki = response.public_key;
        break;
      }
    }
    if (!spki) {
      co_await end(proto::reason::kFailure);
      co_return;
    }
    if (script_.sign_first) {
      auto info = pki::build_request_info("CN=" + device, *spki);
      if (!info) {
        fail("request info: " + info.error().message);
        co_return;
      }
      record_.request_info = *info;
      const proto::SignCertificateRequest sign_request{script_.sign_digest, *info};
      if (!co_await send(sign_request)) {
        co_return;
      }
      auto reply = co_await receive();
      if (!reply) {
        co_return;
      }
      record_.sign_response = std::get<proto::SignCertificateResponse>(*reply);
      if (!record_.sign_response->signature) {
        co_await end(proto::reason::kFailure);
        co_return;
      }
      auto hash = pki::hash_from_id(record_.sign_response->signature->hash_id);
      if (!hash) {
        fail("sign hash: " + hash.error().message);
        co_return;
      }
      record_.csr = pki::assemble_csr(*info, *hash, record_.sign_response->signature->signature);
    }
    auto lsc = pki::issue_lsc({device, *spki, pki::random_serial(), 365}, credential_.certificate,
                              credential_.key, backdated_clock());
    if (!lsc) {
      fail("issue: " + lsc.error().message);
      co_await end(proto::reason::kFailure);
      co_return;
    }
    record_.issued = *lsc;
    const proto::StoreCertificateRequest store_request{proto::cert_type::kLsc, lsc->der()};
    if (!co_await send(store_request)) {
      co_return;
    }
    auto reply = co_await receive();
    if (!reply) {
      co_return;
    }
    record_.store_reason = std::get<proto::StoreCertificateResponse>(*reply).reason;
    co_await end(*record_.store_reason == proto::reason::kSuccess ? proto::reason::kSuccess
                                                                  : proto::reason::kFailure);
  }

  Stream& stream_;
  const ServerScript& script_;
  ServerRecord& record_;
  const Credential& credential_;
  proto::ServerSession session_;
};

asio::awaitable<void> serve_one(tcp::acceptor& acceptor, asio::ssl::context& tls,
                                const ServerScript& script, ServerRecord& record,
                                const Credential& credential) {
  boost::system::error_code ec;
  tcp::socket socket(acceptor.get_executor());
  co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    record.error = "accept: " + ec.message();
    co_return;
  }
  record.peer_address = socket.remote_endpoint(ec).address().to_string();
  Stream stream(std::move(socket), tls);
  ServerConnection connection(stream, script, record, credential);
  co_await connection.run();
}

}  // namespace

const Credential& capf_credential() {
  static const Credential credential = make_capf("CN=CAPF-phonetest,O=opencapf test,OU=VTG");
  return credential;
}

const Credential& other_capf_credential() {
  static const Credential credential = make_capf("CN=CAPF-impostor,O=opencapf test,OU=VTG");
  return credential;
}

RunResult run_against_fake_server(const ServerScript& script, PhoneOptions options,
                                  PhoneState& state) {
  RunResult result;
  const Credential& credential =
      script.server_credential ? *script.server_credential : capf_credential();
  asio::io_context io;
  auto server_ctx = server_tls(credential, script.legacy_tls);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  options.host = "127.0.0.1";
  options.port = acceptor.local_endpoint().port();
  if (options.server_trust.empty()) {
    options.server_trust.push_back(capf_credential().certificate);
  }
  auto phone_ctx = make_phone_tls_context(options);
  if (!phone_ctx) {
    result.report.summary = phone_ctx.error().message;
    return result;
  }
  asio::co_spawn(io, serve_one(acceptor, *server_ctx, script, result.server, credential),
                 [&result](std::exception_ptr e) {
                   if (e) {
                     result.server.error = "server threw";
                   }
                 });
  asio::co_spawn(io, run_session(**phone_ctx, options, state),
                 [&result, &acceptor](std::exception_ptr e, SessionReport report) {
                   // A phone that never connected leaves the server waiting: stop it.
                   boost::system::error_code ignored;
                   acceptor.close(ignored);
                   if (e) {
                     result.report.summary = "phone threw";
                     return;
                   }
                   result.report = std::move(report);
                 });
  io.run();
  return result;
}

}  // namespace capf::phone::testing
