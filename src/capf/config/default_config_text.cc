// The opencapf.toml that `opencapf init` writes: every setting with its default.
#include "capf/config/config.h"

namespace capf {

std::string Config::default_file_text() {
  return R"(# opencapf configuration. Every setting is shown with its default.
# Paths are relative to the data directory. Secrets are referenced, never written here.

[server]
listen = ["127.0.0.1:3804"]   # HOST:PORT list; [::]:3804 for IPv6, 0.0.0.0:3804 for all IPv4
max_sessions = 20000          # concurrent phone sessions; further connections are closed at once
max_connections_per_address = 32  # per phone address (0 = no limit); raise it when many phones
max_handshakes_per_address = 8    # share one NAT address (TLS handshakes in progress)
io_threads = 0                # 0 = one per core
worker_threads = 0            # registry writes and signing; 0 = one per core
legacy_tls = false            # true allows TLS 1.0 for 7900-series phones (logged when used)

[timeouts]
handshake_seconds = 15
read_seconds = 30             # every phone message except the key-generation answer
keygen_seconds = 300          # restarted by each REQUEST_IN_PROGRESS
keygen_max_seconds = 1800     # the whole key-generation wait

[lsc]
validity_days = 365

[crl]
next_update_days = 7          # nextUpdate of the CRL `opencapf crl` writes

[renewal]
renew_before_days = 0         # > 0: LSCs expiring within this many days are renewed automatically
check_minutes = 60            # (by existing LSC, at the phone's next contact)

[auth]
max_string_attempts = 3       # wrong authentication strings before the operation locks
accept_expired_mic = true     # many older phones carry expired MICs
allow_rsa_512 = false

[operations]
default_deadline_days = 10    # "Operation Completes By" when an operation is set without one

[capf]
cert_file = "capf-cert.pem"
key_file = "capf-key.pem"
chain_file = "capf-chain.pem"
passphrase_file = ""          # file holding the key passphrase, if the key is encrypted
passphrase_env = ""           # or the name of an environment variable holding it

[issuer]
mode = "capf"                 # capf (CAPF signs LSCs) | online | offline: see docs/ca-modes.md

[store]
backend = "sqlite"
sqlite_path = "registry.db"
sqlite_synchronous_full = true

[admin]
listen = ""                   # HOST:PORT of the admin REST API (docs/api.md), e.g. "127.0.0.1:8443"
cert_file = ""                # its certificate and key (PEM); empty: admin-cert.pem and
key_file = ""                 # admin-key.pem, made by `opencapf init` (never the CAPF key)
max_connections = 256
max_connections_per_address = 16  # per client address (0 = no limit)
max_handshakes_per_address = 8    # TLS handshakes in progress per client address
request_timeout_seconds = 30  # to read one request
max_body_kib = 1024           # larger request bodies are refused (413)
auth_failures_per_minute = 10 # per client address; then 429 until the minute is over

[log]
format = "text"               # text | json (one JSON object per line)
level = "info"
)";
}

}  // namespace capf
