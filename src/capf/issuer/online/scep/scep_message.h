// SCEP pkiMessages (RFC 8894 §3): the requests opencapf sends — PKCSReq (19) carrying the
// phone-signed PKCS#10, CertPoll (20) carrying an IssuerAndSubject — and the CertRep (3) a CA
// answers with. A request is a PKCS#7 SignedData, signed by a throwaway requester certificate,
// around an EnvelopedData of the content encrypted to the CA (or to its RA).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::scep {

// messageType values (RFC 8894 §3.2.1.2) opencapf sends or reads.
enum class MessageType { kCertRep = 3, kPkcsReq = 19, kCertPoll = 20 };
// pkiStatus values (RFC 8894 §3.2.1.3).
enum class PkiStatus { kSuccess = 0, kFailure = 2, kPending = 3 };
// failInfo names (RFC 8894 §3.2.1.4): 0 badAlg, 1 badMessageCheck, 2 badRequest, 3 badTime,
// 4 badCertId; "unknown" for anything else.
std::string_view fail_info_name(int fail_info);

// The EnvelopedData content cipher: AES-128-CBC when the CA offers "AES", else triple DES.
enum class ContentCipher { kAes128Cbc, kDes3Cbc };

// The requester's throwaway identity: it signs the requests and receives the encrypted reply. One
// per PKCSReq; a CertPoll must use the same one (the CA encrypts to it).
struct Requester {
  pki::Certificate certificate;
  pki::PrivateKey key;
};
// A fresh RSA-2048 key with a self-signed certificate whose subject (and issuer) is `subject_der`
// (the DER Name of the phone's request), valid from an hour before now for 30 days. Blocks for the
// key generation. kMalformed when subject_der is not a DER Name.
Result<Requester> make_requester(ByteView subject_der, const Clock& clock);

struct RequestMessage {
  MessageType type = MessageType::kPkcsReq;
  std::string transaction_id;  // printable characters, the same for every message of one request
  Bytes sender_nonce;          // 16 random bytes (new_nonce()), fresh for every message
  Bytes content;               // DER PKCS#10 (PKCSReq) or IssuerAndSubject (CertPoll)
};

struct Protection {
  const pki::Certificate& recipient;  // the CA, or its RA's encryption certificate (an RSA key)
  ContentCipher cipher;
  pki::Hash hash;  // digest of the SignedData signature: kSha256, or kSha1 for old CAs
  const Requester& requester;
};

// DER of the pkiMessage: signed attributes contentType, messageType, transactionID, senderNonce
// (plus messageDigest and signingTime, which OpenSSL adds); the requester certificate included.
// kInvalidArgument when the recipient's key cannot take an RSA key transport or a field is empty.
Result<Bytes> build_request(const RequestMessage& message, const Protection& protection);

Bytes new_nonce();
// The transactionID opencapf uses: lower-case hex SHA-256 of the phone's SubjectPublicKeyInfo, so
// a repeated request for the same key is recognisably the same transaction.
std::string transaction_id_for(ByteView spki_der);
// The DER subject Name of a DER PKCS#10; kMalformed if it does not parse.
Result<Bytes> csr_subject_der(ByteView csr_der);
Bytes certificate_subject_der(const pki::Certificate& certificate);
// DER of IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } (the CertPoll content): the
// issuer is the CA's subject, the subject the one of the request being polled.
Bytes issuer_and_subject(ByteView issuer_name_der, ByteView subject_name_der);

struct CertRep {
  PkiStatus status = PkiStatus::kFailure;
  std::optional<int> fail_info;                // FAILURE: the failInfo number, when sent
  std::string fail_info_text;                  // FAILURE: RFC 8894 failInfoText, when sent
  std::vector<pki::Certificate> certificates;  // SUCCESS: the degenerate PKCS#7's certificates
};

// What a CertRep must match: who may sign it, who it is encrypted to, and the request it answers.
struct ReplyContext {
  const std::vector<pki::Certificate>& signers;  // the CA and its RA certificates
  const Requester& requester;
  std::string_view transaction_id;
  ByteView sender_nonce;  // the request's; the reply's recipientNonce must equal it
};

// Verifies and reads a CertRep; for SUCCESS, decrypts it (loading OpenSSL's legacy provider for
// CAs that encrypt with single DES) and returns the certificates inside. Errors:
//   kMalformed  not a SignedData, missing or unknown attributes, no certificate in a SUCCESS
//   kProtocol   a messageType other than CertRep, or an unknown pkiStatus
//   kUntrusted  signed by anything but `signers`, a signature that does not verify, another
//               transactionID, or a recipientNonce that is not our senderNonce
//   kCrypto     the reply cannot be decrypted with the requester key (names the legacy provider
//               when it could not be loaded)
Result<CertRep> decode_cert_rep(ByteView der, const ReplyContext& context);

// Standard base64 (the GET form of PKIOperation, and tickets); from_base64 skips whitespace and
// returns nullopt for anything that is not base64.
std::string to_base64(ByteView data);
std::optional<Bytes> from_base64(std::string_view text);

}  // namespace capf::scep
