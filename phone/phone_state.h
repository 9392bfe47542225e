// PhoneState: what a simulated phone keeps between sessions, like a phone's flash: its MIC
// (manufacturing certificate) and its LSC, each with its private key, in a state directory:
//   mic.pem, mic-key.pem   the MIC (see make_mic)
//   lsc.pem, lsc-key.pem   the LSC installed by a CAPF server
//   pending-key.pem        the key of a request an external CA has not answered yet
// Files are replaced atomically (temporary file + rename); key files are mode 0600.
// Not thread-safe: one PhoneState per simulated phone. All calls block on file I/O.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::phone {

struct Credential {
  pki::Certificate certificate;
  pki::PrivateKey key;
};

// The certificate and key of cert_pem and key_pem, read from cert_path and key_path (which the
// errors name): kInvalidArgument when either does not parse or the key is not the certificate's.
Result<Credential> parse_credential(std::string_view cert_pem, std::string_view key_pem,
                                    const std::filesystem::path& cert_path,
                                    const std::filesystem::path& key_path);

class PhoneState {
 public:
  // Reads the state in `dir`, creating the directory if it is missing. kIo for file problems;
  // kInvalidArgument if a certificate and its key do not parse or do not belong together (the
  // message names the file).
  static Result<PhoneState> load(const std::filesystem::path& dir);
  // A state kept in memory only (for load tests with many phones): nothing is read or written.
  static PhoneState in_memory();

  // The state directory; empty for an in-memory state.
  const std::filesystem::path& dir() const { return dir_; }
  const std::optional<Credential>& mic() const { return mic_; }
  const std::optional<Credential>& lsc() const { return lsc_; }

  // Replaces the LSC (certificate and key). kInvalidArgument if the key does not match the
  // certificate; kIo if the files cannot be written (the previous LSC is then kept).
  Status save_lsc(const pki::Certificate& cert, const pki::PrivateKey& key);
  // Removes the LSC; true if there was one.
  Result<bool> delete_lsc();

  // The key of a certificate request an external CA has not answered yet (pending-key.pem): a
  // phone keeps it between sessions, and stores the certificate for it when CAPF delivers one
  // at a later contact without asking for a new key.
  const std::optional<pki::PrivateKey>& pending_key() const { return pending_key_; }
  Status save_pending_key(const pki::PrivateKey& key);
  Status clear_pending_key();

  // Creates a MIC for `device_name` with a new key of `key_spec`, signed by the test manufacturing
  // CA in `mfg_dir` (created on first use and shared by every phone pointing at that directory; see
  // test_manufacturer.h), and stores it as this phone's MIC, replacing any previous one. Blocks on
  // key generation. kInvalidArgument for a device name that cannot go into a DN.
  Result<pki::Certificate> make_mic(std::string_view device_name,
                                    const std::filesystem::path& mfg_dir, const KeySpec& key_spec,
                                    const Clock& clock = SystemClock());

 private:
  PhoneState() = default;
  Status save(std::string_view cert_file, std::string_view key_file, const Credential& credential);

  std::filesystem::path dir_;
  std::optional<Credential> mic_;
  std::optional<Credential> lsc_;
  std::optional<pki::PrivateKey> pending_key_;
};

}  // namespace capf::phone
