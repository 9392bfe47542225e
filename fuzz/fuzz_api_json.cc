// libFuzzer driver for the admin REST API's request handling (api/router.h, api/*_routes.cc): the
// route match, the bearer token, the query parameters and the JSON (and PEM, CSV, .tgz) bodies
// each handler reads, all through Router::handle with every route added, as the HTTPS listener
// calls it. Input layout (text):
//   line 1  METHOD TARGET, e.g. "PUT /api/v1/devices/SEP001122334455?dry=1"
//   line 2  the Authorization header; empty: the seeded admin token
//   rest    the body
// The registry holds two devices, an issued LSC (serial 0123456789abcdef) and the admin token;
// each input is rolled back. POST /api/v1/ca/regenerate is skipped: it generates keys and rewrites
// the identity files, which no rollback undoes.
// Invariants: no handler throws (the router would answer 500 without an error id) and every JSON
// answer is JSON.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "capf/api/admin_api.h"
#include "capf/pki/profiles.h"
#include "fuzz/fuzz_registry.h"

namespace capf::api {
namespace {

using fuzz::require;

// What every input shares: the CAPF identity (files in the data directory, and in memory for the
// CRL) and the admin token's secret.
struct Fixture {
  Config config;
  std::unique_ptr<IdentityHolder> identity;
  std::string admin_token;
  SqliteRegistry* registry = nullptr;
};

// An EC P-256 CAPF certificate, written where IdentityAdmin looks for it.
std::unique_ptr<IdentityHolder> make_identity(const Config& config) {
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  require(key.has_value(), "the identity key is generated");
  auto cert =
      pki::make_capf_certificate(*key, {"CN=CAPF-fuzz,O=Example,C=NZ", 3650}, fuzz::fixed_clock());
  require(cert.has_value(), "the identity certificate is made");
  std::filesystem::create_directories(config.data_dir);
  fuzz::write_file(config.path_in_data(config.capf.cert_file), cert->pem());
  fuzz::write_file(config.path_in_data(config.capf.key_file), key->to_pem().value());
  return std::make_unique<IdentityHolder>(
      std::make_shared<const CapfIdentity>(CapfIdentity{*cert, *key, {}}));
}

// An LSC of SEP001122334455 in the ledger, for the certificate routes to find and revoke.
Status record_lsc(Registry& registry, const CapfIdentity& identity) {
  auto phone_key = pki::PrivateKey::generate({KeyType::kEc, 256});
  require(phone_key.has_value(), "the phone key is generated");
  pki::LscParams params{"SEP001122334455", phone_key->spki_der(), *from_hex("0123456789abcdef"),
                        365};
  CAPF_ASSIGN_OR_RETURN(
      auto lsc, pki::issue_lsc(params, identity.certificate, identity.key, fuzz::fixed_clock()));
  IssuedCertificate record;
  record.serial_hex = lsc.serial_hex();
  record.device_name = "SEP001122334455";
  record.issuer = lsc.issuer();
  record.subject = lsc.subject();
  record.key_spec = "ec:p256";
  record.not_before = lsc.not_before();
  record.not_after = lsc.not_after();
  record.pem = lsc.pem();
  record.issued_at = record.not_before;
  record.state_time = record.not_before;
  return registry.record_issued(record);
}

const Fixture& fixture() {
  static const Fixture fx = [] {
    Fixture f;
    f.config.data_dir = fuzz::scratch_dir() / "data";
    f.identity = make_identity(f.config);
    f.registry = &fuzz::shared_registry([&f](SqliteRegistry& registry) -> Status {
      CAPF_TRY(fuzz::seed_devices(registry));
      TrustStores trust(registry);
      CAPF_TRY(trust.add(kCapfTrust, f.identity->current()->certificate, "capf (current)"));
      CAPF_TRY(record_lsc(registry, *f.identity->current()));
      AccessService access(registry, fuzz::fixed_clock());
      CAPF_ASSIGN_OR_RETURN(auto token, access.create_token("fuzz", AdminRole::kAdmin, "fuzz"));
      f.admin_token = "Bearer " + token.secret;
      return ok();
    });
    return f;
  }();
  return fx;
}

// The listener's split of a target into the decoded path and query (the last repeated name
// wins); nullopt where it would answer 400 itself.
std::optional<ApiRequest> parse_target(std::string_view target) {
  ApiRequest out;
  const std::size_t q = target.find('?');
  auto path = url_decode(target.substr(0, q), false);
  if (!path)
    return std::nullopt;
  out.path = std::move(*path);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty())
      continue;
    const std::size_t eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq), true);
    auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value)
      return std::nullopt;
    out.query[*key] = *value;
  }
  return out;
}

// Splits off the text up to the next LF (the whole text when there is none).
std::string_view take_line(std::string_view& text) {
  const std::size_t lf = text.find('\n');
  std::string_view line = text.substr(0, lf);
  text = lf == std::string_view::npos ? std::string_view() : text.substr(lf + 1);
  return line;
}

std::optional<ApiRequest> parse_input(std::string_view text) {
  std::string_view request_line = take_line(text);
  const std::size_t space = request_line.find(' ');
  if (space == std::string_view::npos)
    return std::nullopt;
  auto request = parse_target(request_line.substr(space + 1));
  if (!request)
    return std::nullopt;
  request->method = std::string(request_line.substr(0, space));
  std::string_view authorization = take_line(text);
  request->authorization =
      authorization.empty() ? fixture().admin_token : std::string(authorization);
  request->content_type = "application/json";
  request->body = std::string(text);
  request->client = "192.0.2.1";
  return request;
}

bool skipped(const ApiRequest& request) {
  return request.method == "POST" &&
         split_path(request.path) == std::vector<std::string>{"api", "v1", "ca", "regenerate"};
}

void check_response(const ApiResponse& response) {
  require(response.status >= 200 && response.status < 600, "the status is an HTTP status");
  if (response.status == 500) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    require(body.is_object() && body.contains("error_id"), "no handler throws");
  }
  if (response.content_type.find("json") != std::string::npos && !response.body.empty())
    require(nlohmann::json::accept(response.body), "a JSON answer is JSON");
}

// Refuses every issuer, so that PUT /api/v1/issuer never rewrites opencapf.toml (no rollback
// undoes a file).
class NoIssuers : public IssuerFactory {
 public:
  Result<std::shared_ptr<Issuer>> build(const IssuerConfig&) override {
    return make_error(ErrorCode::kInvalidArgument, "no issuer while fuzzing");
  }
  std::vector<std::string> check(const IssuerConfig&) override {
    return {"no issuer while fuzzing"};
  }
};

void handle(Registry& registry, const ApiRequest& request) {
  const Fixture& fx = fixture();
  const Clock& clock = fuzz::fixed_clock();
  TrustStores trust(registry);
  AdminService admin(registry, trust, clock, AdminPolicy{});
  AccessService access(registry, clock);
  CertificateAdmin certificates(registry, clock);
  IdentityAdmin identity(fx.config, trust, registry, clock);
  CrlCache crl(certificates, *fx.identity, clock, 7);
  OfflineAdmin offline(registry, trust, clock, std::vector<pki::Certificate>{});
  NoIssuers issuers;
  IssuerAdmin issuer(fx.config.data_dir, registry, registry, issuers);
  ApiServices services{admin,
                       access,
                       certificates,
                       identity,
                       crl,
                       clock,
                       DeviceCsv(registry, admin),
                       CapfReports(registry, clock),
                       [] { return std::string(); },
                       offline,
                       issuer,
                       ClusterStatus(registry, clock, {"sqlite", ":memory:"})};
  AuthFailureLimiter limiter(clock, 10);
  Router router(access, limiter);
  add_all_routes(router, services);
  check_response(router.handle(request));
}

}  // namespace
}  // namespace capf::api

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Handlers log refusals and internal errors; OPENCAPF_FUZZ_LOG=1 shows them when reproducing.
  if (std::getenv("OPENCAPF_FUZZ_LOG") == nullptr)
    spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf::api;
  auto request = parse_input(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!request || skipped(*request))
    return 0;
  capf::Registry& registry = *fixture().registry;
  capf::fuzz::rolled_back(registry, [&] { handle(registry, *request); });
  return 0;
}
