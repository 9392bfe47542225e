#include "phone/test_manufacturer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "capf/common/file.h"
#include "capf/pki/openssl_ptr.h"
#include "capf/pki/profiles.h"
#include "phone/phone_state.h"

namespace capf::phone {
namespace {

constexpr int kCaDays = 20 * 365;

// Holds an exclusive flock for its lifetime.
class DirectoryLock {
 public:
  static Result<DirectoryLock> acquire(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return make_error(ErrorCode::kIo, "cannot open lock file {}: {}", path.string(),
                        std::strerror(errno));
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int err = errno;
        ::close(fd);
        return make_error(ErrorCode::kIo, "cannot lock {}: {}", path.string(), std::strerror(err));
      }
    }
    return DirectoryLock(fd);
  }
  DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) {
      ::close(fd_);  // releases the flock
    }
  }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

struct CertificateSpec {
  const X509_NAME* subject = nullptr;
  const X509* issuer = nullptr;  // nullptr: self-signed
  EVP_PKEY* subject_key = nullptr;
  const pki::PrivateKey* signer = nullptr;
  int days = 0;
  bool ca = false;
};

Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) {
    return make_error(ErrorCode::kCrypto, "cannot build extension {}: {}", OBJ_nid2sn(nid),
                      pki::openssl_errors());
  }
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) {
    return make_error(ErrorCode::kCrypto, "cannot add extension {}: {}", OBJ_nid2sn(nid),
                      pki::openssl_errors());
  }
  return ok();
}

Result<pki::Certificate> build_certificate(const CertificateSpec& spec, const Clock& clock) {
  pki::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) {
    return make_error(ErrorCode::kCrypto, "cannot create certificate: {}", pki::openssl_errors());
  }
  const Bytes serial = pki::random_serial();
  pki::BnPtr serial_bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  std::time_t now = std::chrono::system_clock::to_time_t(clock.now());
  const X509_NAME* issuer_name =
      spec.issuer != nullptr ? X509_get_subject_name(spec.issuer) : spec.subject;
  if (!serial_bn ||
      BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_set_subject_name(cert.get(), spec.subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), spec.days, 0, &now) == nullptr ||
      X509_set_pubkey(cert.get(), spec.subject_key) != 1) {
    return make_error(ErrorCode::kCrypto, "cannot fill in certificate: {}", pki::openssl_errors());
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, spec.issuer != nullptr ? const_cast<X509*>(spec.issuer) : cert.get(),
                 cert.get(), nullptr, nullptr, 0);
  if (spec.ca) {
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_key_usage,
                           "critical,digitalSignature,keyCertSign,cRLSign"));
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  } else {
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_key_usage,
                           "critical,digitalSignature,keyEncipherment"));
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_ext_key_usage, "clientAuth"));
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
    CAPF_TRY(add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  }
  if (X509_sign(cert.get(), spec.signer->get(), EVP_sha256()) <= 0) {
    return make_error(ErrorCode::kCrypto, "cannot sign certificate: {}", pki::openssl_errors());
  }
  return pki::Certificate::adopt(std::move(cert));
}

Result<ManufacturingCa> create_ca(const std::filesystem::path& cert_path,
                                  const std::filesystem::path& key_path, const Clock& clock) {
  CAPF_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::generate(KeySpec{KeyType::kRsa, 2048}));
  CAPF_ASSIGN_OR_RETURN(auto subject, pki::parse_dn(kManufacturingCaSubject));
  CertificateSpec spec;
  spec.subject = subject.get();
  spec.subject_key = key.get();
  spec.signer = &key;
  spec.days = kCaDays;
  spec.ca = true;
  CAPF_ASSIGN_OR_RETURN(auto cert, build_certificate(spec, clock));
  CAPF_ASSIGN_OR_RETURN(auto key_pem, key.to_pem());
  // Key first: a crash in between leaves a key without a certificate, which load reports.
  CAPF_TRY(write_file_atomically(key_path, key_pem, FileMode::kPrivate));
  CAPF_TRY(write_file_atomically(cert_path, cert.pem(), FileMode::kPublic));
  return ManufacturingCa{std::move(cert), std::move(key), cert_path};
}

}  // namespace

Result<ManufacturingCa> load_or_create_manufacturing_ca(const std::filesystem::path& dir,
                                                        const Clock& clock) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot create directory {}: {}", dir.string(), ec.message());
  }
  CAPF_ASSIGN_OR_RETURN(auto lock, DirectoryLock::acquire(dir / "mfg-ca.lock"));
  const auto cert_path = dir / kManufacturingCaFile;
  const auto key_path = dir / kManufacturingCaKeyFile;
  CAPF_ASSIGN_OR_RETURN(auto cert_pem, read_file_if_exists(cert_path));
  CAPF_ASSIGN_OR_RETURN(auto key_pem, read_file_if_exists(key_path));
  if (!cert_pem && !key_pem) {
    return create_ca(cert_path, key_path, clock);
  }
  if (!cert_pem || !key_pem) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} holds only one of {} and {}: remove it to create a new test "
                      "manufacturing CA",
                      dir.string(), kManufacturingCaFile, kManufacturingCaKeyFile);
  }
  auto pair = parse_credential(*cert_pem, *key_pem, cert_path, key_path);
  if (!pair) {
    return pair.error().with_context(
        "the test manufacturing CA (remove both files to create a new one)");
  }
  return ManufacturingCa{std::move(pair->certificate), std::move(pair->key), cert_path};
}

std::string mic_subject(std::string_view device_name) {
  return fmt::format("CN=CP-8865-{},O=opencapf test,OU=MIC", device_name);
}

Result<pki::Certificate> issue_mic(const ManufacturingCa& ca, std::string_view device_name,
                                   const pki::PrivateKey& mic_key, const Clock& clock) {
  CAPF_ASSIGN_OR_RETURN(auto subject, pki::parse_dn(mic_subject(device_name)));
  CertificateSpec spec;
  spec.subject = subject.get();
  spec.issuer = ca.certificate.get();
  spec.subject_key = mic_key.get();
  spec.signer = &ca.key;
  spec.days = kMicDays;
  spec.ca = false;
  return build_certificate(spec, clock);
}

}  // namespace capf::phone
