// TlsProbe: a blocking test client for the listeners' limits and TLS profiles. Its socket is
// bound to a chosen loopback source address before connecting (127.0.0.2 stands for a second
// host), then it can stay silent, do a TLS handshake with a chosen cipher offer, or send one HTTP
// request. Every read is bounded (5 s).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace capf::testing {

struct TlsOffer {
  std::string ciphers = "DEFAULT";  // TLS 1.2 and below
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
};

class TlsProbe {
 public:
  TlsProbe(const std::string& source, std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
                 ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  ~TlsProbe() {
    if (ssl_ != nullptr)
      SSL_free(ssl_);
    if (ctx_ != nullptr)
      SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  TlsProbe(const TlsProbe&) = delete;
  TlsProbe& operator=(const TlsProbe&) = delete;

  bool connected() const { return connected_; }

  // True when the server closed the connection (end of file or a reset) before sending anything.
  bool closed_by_server() {
    char c = 0;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  // A TLS handshake offering `offer`; true when it completes. The server is not verified: these
  // tests are about what the server accepts.
  bool handshake(const TlsOffer& offer = {}) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, offer.min_version);
    SSL_CTX_set_max_proto_version(ctx_, offer.max_version);
    SSL_CTX_set_security_level(ctx_, 0);
    if (SSL_CTX_set_cipher_list(ctx_, offer.ciphers.c_str()) != 1)
      return false;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }

  int version() const { return ssl_ == nullptr ? 0 : SSL_version(ssl_); }

  // After handshake(): the DER of the certificate the server presented; empty if none.
  std::vector<unsigned char> peer_der() const {
    std::vector<unsigned char> der;
    X509* peer = ssl_ == nullptr ? nullptr : SSL_get1_peer_certificate(ssl_);
    if (peer != nullptr) {
      unsigned char* out = nullptr;
      int n = i2d_X509(peer, &out);
      if (n > 0)
        der.assign(out, out + n);
      OPENSSL_free(out);
      X509_free(peer);
    }
    return der;
  }

  // After handshake(): sends "GET target" and returns what the server answers (headers and as
  // much of the body as one read gives), "" on failure.
  std::string get(const std::string& target) {
    const std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0)
      return {};
    std::string answer;
    char buf[4096];
    int n = 0;
    while ((n = SSL_read(ssl_, buf, sizeof buf)) > 0)
      answer.append(buf, static_cast<std::size_t>(n));
    return answer;
  }

 private:
  int fd_;
  bool connected_ = false;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace capf::testing
