// The ACME account key file: the one secret the ACME connector keeps. The account itself lives at
// the CA; its URL ("kid") is found again from the key (newAccount answers with the existing one).
#pragma once

#include <filesystem>

#include "capf/common/result.h"
#include "capf/pki/key.h"

namespace capf::acme {

// Loads the PEM key in `path`; when the file does not exist, creates an EC P-256 key there (PKCS#8
// PEM, mode 0600, written to a temporary file in the same folder and linked into place, so a
// reader never sees half a key and two processes that race end up with the one key that landed
// first). Blocks on file I/O. Errors:
//   kInvalidArgument  empty path, or the file holds no usable key (says which file and why)
//   kPermissionDenied the key file is encrypted
//   kIo               the file or its folder cannot be read or written (with the OS reason)
Result<pki::PrivateKey> load_or_create_account_key(const std::filesystem::path& path);

}  // namespace capf::acme
