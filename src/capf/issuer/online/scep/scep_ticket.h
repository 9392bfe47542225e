// The ticket of a SCEP request the CA holds (pkiStatus PENDING): everything a later CertPoll needs,
// as one self-contained text, because opencapf may restart between polls.
#pragma once

#include <string>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"

namespace capf::scep {

struct PollTicket {
  std::string url;             // where the request went (for admins; polls use the current url)
  std::string transaction_id;  // the PKCSReq's transactionID
  std::string device_name;
  Bytes spki_der;  // the phone's key, to check the certificate the CA finally returns
  KeySpec key;
  // The requester identity the CA encrypts its answer to. The key is a throwaway made for this one
  // request (it protects nothing but the CA's reply, which holds a public certificate), kept as
  // unencrypted PKCS#8 PEM: store the ticket like other registry data and never log it.
  std::string requester_certificate_pem;
  std::string requester_key_pem;
  Bytes issuer_der;   // DER Name: the CA's subject (IssuerAndSubject.issuer)
  Bytes subject_der;  // DER Name: the request's subject (IssuerAndSubject.subject)
};

// A JSON object ({"scep":1, ...}), binary fields in base64.
std::string encode_ticket(const PollTicket& ticket);
// kInvalidArgument naming the missing or broken field when the text is not such a ticket.
Result<PollTicket> decode_ticket(std::string_view text);

}  // namespace capf::scep
