#include "capf/store/migrations.h"

#include <array>

namespace capf {
namespace {

// Version 1. Notes on the choices:
// - devices: the status is three columns so that filtering by kind uses an index; an LSC is
//   present exactly when lsc_serial is not NULL; `version` is the compare-and-set counter.
// - certificates and device_events carry the device name without a foreign key: the ledger and
//   the history outlive the device row (an admin may remove a device, its certificates stay).
// - registry_counters holds trust_generation, bumped with every trust change, so that another
//   process (the CLI, another node) can tell its cached trust stores are stale.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE devices (
  name {{key}} PRIMARY KEY,
  operation TEXT NOT NULL,
  auth_mode TEXT NOT NULL,
  auth_string TEXT,
  key_order TEXT NOT NULL,
  rsa_bits INTEGER NOT NULL,
  ec_bits INTEGER NOT NULL,
  deadline BIGINT,
  status_kind TEXT NOT NULL,
  status_operation TEXT NOT NULL,
  status_reason TEXT NOT NULL,
  status_time BIGINT NOT NULL,
  status_detail TEXT NOT NULL,
  auth_failures INTEGER NOT NULL,
  lsc_serial TEXT,
  lsc_issuer TEXT,
  lsc_not_after BIGINT,
  description TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE INDEX devices_by_status ON devices (status_kind, name);
CREATE INDEX devices_by_operation ON devices (operation, name);
CREATE INDEX devices_by_auth_mode ON devices (auth_mode, name);
CREATE INDEX devices_by_lsc_expiry ON devices (lsc_not_after);

CREATE TABLE certificates (
  serial_hex TEXT PRIMARY KEY,
  device_name {{key}} NOT NULL,
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  key_spec TEXT NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  pem TEXT NOT NULL,
  state TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  state_time BIGINT NOT NULL,
  session_id TEXT NOT NULL,
  revocation_reason TEXT NOT NULL
);
CREATE INDEX certificates_by_device ON certificates (device_name, issued_at);
CREATE INDEX certificates_by_issued ON certificates (issued_at);
CREATE INDEX certificates_by_state ON certificates (state, issued_at);
CREATE INDEX certificates_by_expiry ON certificates (not_after);

CREATE TABLE device_events (
  id {{id}},
  device_name {{key}} NOT NULL,
  event_time BIGINT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX device_events_by_device_time ON device_events (device_name, event_time, id);

CREATE TABLE trust_entries (
  store_name TEXT NOT NULL,
  fingerprint {{key}} NOT NULL,
  subject TEXT NOT NULL,
  issuer TEXT NOT NULL,
  not_after BIGINT NOT NULL,
  pem TEXT NOT NULL,
  label TEXT NOT NULL,
  added BIGINT NOT NULL,
  PRIMARY KEY (store_name, fingerprint)
);

CREATE TABLE registry_counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO registry_counters (name, value) VALUES ('trust_generation', 0);
)sql";

// Version 2: the queue of phone-signed requests sent to (or waiting for) an external CA.
// - seq orders requests that arrive in the same second (created is kept to the second); the id is
//   the caller's and carries no order.
// - device_name has no foreign key: like the ledger, a request outlives the device row.
// - state and mode hold the short names of to_string(RequestState) and "online"/"offline".
constexpr std::string_view kV2 = R"sql(
CREATE TABLE certificate_requests (
  seq {{id}},
  id {{key}} NOT NULL UNIQUE,
  device_name {{key}} NOT NULL,
  mode TEXT NOT NULL,
  ca TEXT NOT NULL,
  key_spec TEXT NOT NULL,
  csr_pem TEXT NOT NULL,
  spki_fingerprint {{key}} NOT NULL,
  ticket TEXT NOT NULL,
  state TEXT NOT NULL,
  certificate_pem TEXT NOT NULL,
  certificate_serial TEXT NOT NULL,
  last_error TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  session_id TEXT NOT NULL
);
CREATE INDEX certificate_requests_by_device ON certificate_requests (device_name, state);
CREATE INDEX certificate_requests_by_state ON certificate_requests (state, mode);
CREATE INDEX certificate_requests_by_spki ON certificate_requests (spki_fingerprint);
CREATE INDEX certificate_requests_by_created ON certificate_requests (created, seq);
)sql";

// Version 3: the CRL number, which must only grow across restarts and nodes (RFC 5280 §5.2.3).
constexpr std::string_view kV3 = R"sql(
INSERT INTO registry_counters (name, value) VALUES ('crl_number', 0);
)sql";

// Version 4: the admin API's tokens and the audit log.
// - admin_tokens keeps only the SHA-256 of each secret; `revoked` is the revocation time (NULL
//   while the token is valid). A token is looked up by id, then its hash is compared.
// - audit_log.id orders entries (several share a second); before/after are JSON text, '' when the
//   object did not exist before or is gone after.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE admin_tokens (
  id {{id}},
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  token_hash {{key}} NOT NULL UNIQUE,
  created BIGINT NOT NULL,
  last_used BIGINT,
  revoked BIGINT
);

CREATE TABLE audit_log (
  id {{id}},
  event_time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target {{key}} NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL
);
CREATE INDEX audit_log_by_target ON audit_log (target, id);
)sql";

// Version 5: counting the LSCs that expire before a date (the console's "expiring in 30 days",
// the expiring-LSC report) reads this index alone instead of looking up every matching row
// (12-38 ms -> 0.3 ms on 100,000 devices, bench/console_query_bench). It replaces the index on
// lsc_not_after alone, which is its prefix.
constexpr std::string_view kV5 = R"sql(
DROP INDEX devices_by_lsc_expiry;
CREATE INDEX devices_by_lsc_expiry_serial ON devices (lsc_not_after, lsc_serial);
)sql";

// Version 6: an admin token may expire. NULL (every token made before this version) is never, so
// tokens in an older registry keep working as they did.
constexpr std::string_view kV6 = R"sql(
ALTER TABLE admin_tokens ADD COLUMN expires BIGINT;
)sql";

// Version 7: several nodes on one registry (docs/cluster.md). A device claimed by one session at a
// time, with an expiry a live node keeps moving; each node's last heartbeat; the settings every
// node shares (the CAPF identity, the issuer), each with a version.
constexpr std::string_view kV7 = R"sql(
CREATE TABLE device_claims (
  device_name {{key}} PRIMARY KEY,
  node {{key}} NOT NULL,
  session_id TEXT NOT NULL,
  claimed BIGINT NOT NULL,
  expires BIGINT NOT NULL
);
CREATE INDEX device_claims_by_node ON device_claims (node);
CREATE TABLE cluster_nodes (
  node {{key}} PRIMARY KEY,
  version TEXT NOT NULL,
  listen TEXT NOT NULL,
  sessions BIGINT NOT NULL,
  started BIGINT NOT NULL,
  seen BIGINT NOT NULL
);
CREATE TABLE cluster_settings (
  name {{key}} PRIMARY KEY,
  value TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated BIGINT NOT NULL
);
)sql";

// Version 8: what every install reads, as lookups of the device's few rows in the order asked,
// with no sort.
// - The certificates it supersedes (device and state): with only (device_name, issued_at) and
//   (state, issued_at) to choose from, SQLite read them through the state index, i.e. every
//   installed certificate of the fleet, per install (server CPU per install 3.7 ms at 2,000
//   devices, 6.5 ms at 4,000; bench). The new index replaces the one on device_name, its prefix.
// - The device's open request, newest first: the index on (device_name, state) left the order to
//   a temporary b-tree per query, whose opening and freeing cost more than the lookup.
constexpr std::string_view kV8 = R"sql(
DROP INDEX certificates_by_device;
CREATE INDEX certificates_by_device_state
  ON certificates (device_name, state, issued_at, serial_hex);
DROP INDEX certificate_requests_by_device;
CREATE INDEX certificate_requests_by_device_created
  ON certificate_requests (device_name, created, seq);
)sql";

// Version 9: an install writes its device claim and deletes it again (two of its three commits),
// and the index on node made each of those write one more page (on SQLite, one more WAL frame:
// two of the 26 or so an install wrote). The table holds only the claims of sessions running now,
// a few thousand at most across a cluster, so the lookups by node (a node's heartbeat every
// heartbeat_seconds, its start) read it whole in well under a millisecond.
constexpr std::string_view kV9 = R"sql(
DROP INDEX device_claims_by_node;
)sql";

constexpr std::array kMigrations = {
    Migration{1, "devices, certificates, device events, trust stores", kV1},
    Migration{2, "certificate requests for external CAs", kV2},
    Migration{3, "the CRL number", kV3},
    Migration{4, "admin API tokens and the audit log", kV4},
    Migration{5, "a covering index for expiring LSCs", kV5},
    Migration{6, "an optional expiry for admin tokens", kV6},
    Migration{7, "device claims, node heartbeats and shared settings for clusters", kV7},
    Migration{8, "the ledger and request indexes an install reads", kV8},
    Migration{9, "device claims without an index on node", kV9},
};

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_schema_version() {
  return kMigrations.back().version;
}

std::string render_sql(std::string_view sql, SqlDialect dialect) {
  std::string out(sql);
  switch (dialect) {
    case SqlDialect::kSqlite:
      replace_all(out, "{{id}}", "INTEGER PRIMARY KEY");
      replace_all(out, "{{key}}", "TEXT");
      break;
    case SqlDialect::kPostgres:
      replace_all(out, "{{id}}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
      replace_all(out, "{{key}}", "TEXT COLLATE \"C\"");
      break;
  }
  return out;
}

}  // namespace capf
