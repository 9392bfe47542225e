// Reading certsrv pages and certnew.p7b bundles: the marker strings of
// docs/spec/adcs-web-enrollment.md, one link shape at a time, and pages that are none of them.
#include "capf/issuer/online/adcs/certsrv_pages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/issuer/online/adcs/certsrv_pkcs7.h"
#include "tests/support/adcs_standin/certsrv_html.h"
#include "tests/support/adcs_standin/standin_ca.h"

namespace capf::adcs {
namespace {

namespace html = capf::testing::certsrv_html;

TEST(CertsrvPages, IssuedPageOfTheStandinGivesTheRequestId) {
  CertsrvPage page = read_enrollment_page(html::issued_page("Example CA", 4711));
  EXPECT_EQ(page.verdict, PageVerdict::kIssued);
  EXPECT_EQ(page.request_id, "4711");
}

TEST(CertsrvPages, EachLinkShapeAloneIsEnough) {
  for (const char* link :
       {"<a href=\"certnew.cer?ReqID=17&amp;Enc=b64\">",
        "<a href=\"certnew.cer?ReqID=17&amp;Enc=bin\">",
        "location=\"certnew.cer?ReqID=17&\"+getEncoding();", "certnew.cer?ReqID=17&Enc=b64"}) {
    CertsrvPage page = read_enrollment_page(std::string("<p>Certificate Issued</p>") + link);
    EXPECT_EQ(page.verdict, PageVerdict::kIssued) << link;
    EXPECT_EQ(page.request_id, "17") << link;
  }
  // The CA certificate link has no request number: it does not make a page "issued".
  EXPECT_EQ(read_enrollment_page("certnew.cer?ReqID=CACert&amp;Renewal=0").verdict,
            PageVerdict::kUnrecognised);
}

TEST(CertsrvPages, PendingPageGivesTheRequestId) {
  CertsrvPage page = read_enrollment_page(html::pending_page("Example CA", 23));
  EXPECT_EQ(page.verdict, PageVerdict::kPending);
  EXPECT_EQ(page.request_id, "23");
  EXPECT_EQ(read_enrollment_page(html::still_pending_page("Example CA", 24)).verdict,
            PageVerdict::kPending);
}

TEST(CertsrvPages, DeniedPageKeepsTheDispositionMessageWithItsSpacing) {
  const std::string message =
      "Denied by Policy Module  0x80094800, The request was for a certificate template that is "
      "not supported by the Active Directory Certificate Services policy: R&D <LSC>.";
  CertsrvPage page = read_enrollment_page(html::denied_page("Example CA", 31, message));
  EXPECT_EQ(page.verdict, PageVerdict::kDenied);
  EXPECT_EQ(page.request_id, "31");
  EXPECT_EQ(page.message, message);
}

TEST(CertsrvPages, DeniedPageWithoutAMessageIsStillDenied) {
  CertsrvPage page = read_enrollment_page(
      "<P>Certificate Request Denied<P>Your certificate request was denied.<P>Your Request Id "
      "is 9.");
  EXPECT_EQ(page.verdict, PageVerdict::kDenied);
  EXPECT_EQ(page.request_id, "9");
  EXPECT_EQ(page.message, "");
}

TEST(CertsrvPages, PagesInAnotherLanguageAreNotRecognised) {
  CertsrvPage page = read_enrollment_page(
      "<P>Certificat en attente<P>Votre demande de certificat a été reçue. Votre ID de demande "
      "est 12.");
  EXPECT_EQ(page.verdict, PageVerdict::kUnrecognised);
  EXPECT_EQ(page.request_id, "");
  EXPECT_EQ(read_certificate_error("<html>Erreur des services de certificats</html>").verdict,
            PageVerdict::kUnrecognised);
}

TEST(CertsrvPages, CertificateStatusBlockSaysPendingDeniedOrUnknown) {
  CertsrvPage pending = read_certificate_error(html::certificate_status_page(
      "CA", "Taken Under Submission", "The operation completed successfully. 0x0"));
  EXPECT_EQ(pending.verdict, PageVerdict::kPending);

  const std::string denial =
      "Denied by Policy Module  0x80094012, The permissions on the certificate template do not "
      "allow the current user to enroll for this type of certificate.";
  CertsrvPage denied = read_certificate_error(html::certificate_status_page(
      "CA", denial, "The permissions ... 0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)"));
  EXPECT_EQ(denied.verdict, PageVerdict::kDenied);
  EXPECT_EQ(denied.message, denial);

  CertsrvPage unknown = read_certificate_error(
      html::certificate_status_page("CA", "The requested property value is empty. 0x80094004",
                                    "The requested property value is empty. 0x80094004"));
  EXPECT_EQ(unknown.verdict, PageVerdict::kUnknownRequest);
}

TEST(CertsrvPages, BareDenialBorrowsTheCodeFromTheStatusLine) {
  CertsrvPage denied = read_certificate_error(
      "Disposition message: \t\tDenied by Policy Module\r\n"
      "LastStatus: \t\tThe request was denied. 0x80094014 (-2146877420 "
      "CERTSRV_E_ADMIN_DENIED_REQUEST)\r\n");
  EXPECT_EQ(denied.verdict, PageVerdict::kDenied);
  EXPECT_EQ(denied.message,
            "Denied by Policy Module (The request was denied. 0x80094014 (-2146877420 "
            "CERTSRV_E_ADMIN_DENIED_REQUEST))");
}

TEST(CertsrvPages, RenewalCountDefaultsToZero) {
  EXPECT_EQ(read_renewal_count(html::ca_certificate_page("CA", 0)), 0);
  EXPECT_EQ(read_renewal_count("<script>var nRenewals=3;</script>"), 3);
  EXPECT_EQ(read_renewal_count("<html>no script here</html>"), 0);
}

TEST(CertsrvPages, ExcerptDropsMarkupAndStopsOnACharacterBoundary) {
  EXPECT_EQ(page_excerpt("<html><head><script>var x = '<b>';</script><style>p{}</style></head>"
                         "<body><h1>Server  Error</h1>\r\n<p>Fehler &amp; Ärger</p></body>"),
            "Server Error Fehler & Ärger");
  std::string long_text(199, 'x');
  long_text += "é and more";
  std::string cut = page_excerpt(long_text);
  EXPECT_EQ(cut, std::string(199, 'x'));
  EXPECT_EQ(page_excerpt(std::string(500, 'y')).size(), 200u);
}

TEST(CertsrvPages, EntitiesAreDecoded) {
  EXPECT_EQ(decode_entities("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#x27; &bogus; &"),
            "a & b <c> \"d\" 'e' &bogus; &");
}

TEST(CertsrvBundle, ReadsThePkcs7BetweenCertificateMarkersDerAndPem) {
  auto ca = capf::testing::StandinCa::create("Bundle CA");
  ASSERT_TRUE(ca) << ca.error().message;
  std::vector<pki::Certificate> certs = {(*ca)->tls_certificate(), (*ca)->root()};
  auto p7 = capf::testing::StandinCa::pkcs7(certs);
  ASSERT_TRUE(p7);

  // AD CS's quirk: a PKCS#7 under "BEGIN CERTIFICATE", here with Windows line ends.
  std::string quirk = pki::pem_encode("CERTIFICATE", *p7);
  std::string windows;
  for (char c : quirk) {
    if (c == '\n')
      windows += '\r';
    windows += c;
  }
  for (const std::string& body : {windows, pki::pem_encode("PKCS7", *p7), to_string(*p7)}) {
    auto read = read_certificate_bundle(body);
    ASSERT_TRUE(read) << read.error().message;
    ASSERT_EQ(read->size(), 2u);
    EXPECT_EQ((*read)[0], certs[0]);
    EXPECT_EQ((*read)[1], certs[1]);
  }
  // A single certificate is a bundle of one.
  auto single = read_certificate_bundle((*ca)->root().pem());
  ASSERT_TRUE(single) << single.error().message;
  EXPECT_EQ(single->size(), 1u);

  auto garbage = read_certificate_bundle(
      "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END "
      "CERTIFICATE-----\n");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, ErrorCode::kMalformed);
  EXPECT_FALSE(read_certificate_bundle("<html>Error</html>"));
}

TEST(CertsrvBundle, ChainOrderPutsTheLeafFirstAndTheRootLast) {
  auto ca = capf::testing::StandinCa::create("Order CA");
  ASSERT_TRUE(ca) << ca.error().message;
  std::vector<pki::Certificate> ordered = chain_order({(*ca)->root(), (*ca)->tls_certificate()});
  ASSERT_EQ(ordered.size(), 2u);
  EXPECT_EQ(ordered[0], (*ca)->tls_certificate());
  EXPECT_EQ(ordered[1], (*ca)->root());
}

}  // namespace
}  // namespace capf::adcs
