// TrustListAdmin: the trust lists phones download (ITLFile.tlv, CTLFile.tlv), the .sgn files of a
// PBX's TFTP configuration, and the signer (function SAST) that signs them, kept in the data
// directory beside the CAPF key (docs/trust-lists.md).
//
// The signer rolls over without leaving a phone behind: `rotate` makes the next signer, and until
// `retire` every file is signed by the current (old) signer and lists both, so a phone holding
// the old list accepts the new one, and from it the next signer; `retire` then makes the next
// signer the one that signs and drops the old one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/config/config.h"
#include "capf/issuer/capf_identity.h"
#include "capf/service/identity_admin.h"
#include "capf/store/device_store.h"
#include "capf/trustlist/sgn_file.h"
#include "capf/trustlist/trust_list_file.h"

namespace capf {

struct SignerOptions {
  int bits = 2048;      // rsa 2048, 3072 or 4096
  std::string subject;  // empty: CN=ITLRecovery-<8 hex>,OU=opencapf
  int days = 10 * 365;
};

struct SignerEntry {
  pki::Certificate certificate;
  bool signing = false;  // signs the files now; otherwise the next signer, listed until retire
};

enum class TrustListKind { kItl, kCtl };
std::string_view file_name_of(TrustListKind kind);  // "ITLFile.tlv", "CTLFile.tlv"

struct TrustListOptions {
  TrustListKind kind = TrustListKind::kItl;
  pki::Hash digest = pki::Hash::kSha512;
  std::uint16_t signer_version = trustlist::kSignerVersion11;
  std::vector<trustlist::Listed> extra;  // the admin's records (CCM, TFTP, HTTPS, TVS, ...)
};

struct BuiltTrustList {
  Bytes bytes;
  pki::Certificate signer;
  std::vector<trustlist::Listed> listed;  // in file order
};

class TrustListAdmin {
 public:
  TrustListAdmin(Config config, IdentityAdmin& identity, AuditLog& audit, const Clock& clock)
      : config_(std::move(config)), identity_(identity), audit_(audit), clock_(clock) {}

  // Makes the signer. kAlreadyExists if there is one (rotate it instead).
  Result<pki::Certificate> create_signer(const SignerOptions& options, const std::string& actor);
  // Makes the next signer; files stay signed by the current one and list both until retire.
  // kNotFound without a signer; kConflict while a next signer waits for retire.
  Result<pki::Certificate> rotate_signer(const SignerOptions& options, const std::string& actor);
  // The next signer becomes the one that signs; the old one is no longer listed. Returns the new
  // signing certificate. kNotFound when no rotation is under way.
  Result<pki::Certificate> retire_signer(const std::string& actor);
  // The signing signer first, then the next one if a rotation is under way. kNotFound without one.
  Result<std::vector<SignerEntry>> signers();

  // The trust list: the signer(s) as SAST, the current CAPF certificate and every unexpired
  // previous one (an overlap after `ca regenerate`) as CAPF, then `options.extra`. kInvalidArgument
  // for a certificate listed twice in the same role or a bad digest/version pair.
  Result<BuiltTrustList> build(const TrustListOptions& options);
  // When `existing` (a trust list on disk) does not list the active CAPF certificate as CAPF: a
  // sentence saying so, for the admin. nullopt when it does or when it does not parse.
  Result<std::optional<std::string>> missing_capf_warning(ByteView existing);

  // Keeps ITLFile.tlv (and CTLFile.tlv with `with_ctl`) in `dir` for the phones' TFTP server:
  // writes them atomically when the certificates they list differ from `listed` (the SHA-256
  // fingerprints of the last files written, which it updates). True when it wrote.
  Result<bool> publish(const std::filesystem::path& dir, bool with_ctl, std::string& listed);

  // `content` signed with a header naming `filename` (FILE.sgn's body).
  Result<Bytes> sign_file(ByteView content, const std::string& filename, pki::Hash digest,
                          std::uint16_t signer_version);
  // Parses a .sgn file and checks it with this directory's signers (and `extra_signers`).
  Result<trustlist::SignedFile> check_signed_file(ByteView file,
                                                  std::vector<pki::Certificate> extra_signers);

 private:
  IdentityPaths current_paths() const;
  IdentityPaths next_paths() const;
  // The CAPF key's passphrase (none for a key in a token): the signer key is encrypted with it.
  Result<std::optional<std::string>> passphrase() const;
  Result<CapfIdentity> load(const IdentityPaths& paths) const;
  Status write(const IdentityPaths& paths, const CapfIdentity& signer) const;
  Result<CapfIdentity> make_signer(const SignerOptions& options) const;
  // What a trust list lists (docs/trust-lists.md §5), in file order.
  Result<std::vector<trustlist::Listed>> listing(const std::optional<pki::Certificate>& next,
                                                 const pki::Certificate& signer,
                                                 const std::vector<trustlist::Listed>& extra);
  // The signing identity and, during a rotation, the next one's certificate.
  Result<std::pair<CapfIdentity, std::optional<pki::Certificate>>> load_signers();

  Config config_;
  IdentityAdmin& identity_;
  AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace capf
