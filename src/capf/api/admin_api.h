// The admin API's routes over the services (docs/api.md lists them with their roles). Each
// add_*_routes() registers one group on a Router; the handlers block on the registry.
#pragma once

#include <functional>
#include <string>

#include "capf/api/crl_cache.h"
#include "capf/api/router.h"
#include "capf/common/clock.h"
#include "capf/issuer/capf_identity.h"
#include "capf/service/access_service.h"
#include "capf/service/admin_service.h"
#include "capf/service/capf_reports.h"
#include "capf/service/certificate_admin.h"
#include "capf/service/cluster_status.h"
#include "capf/service/device_csv.h"
#include "capf/service/identity_admin.h"
#include "capf/service/issuer_admin.h"
#include "capf/service/offline_admin.h"

namespace capf::api {

// The services the routes use; all borrowed but the CSV and report services (which borrow the
// registry themselves), and all must outlive the server. The routes see no registry.
struct ApiServices {
  AdminService& admin;
  AccessService& access;
  CertificateAdmin& certificates;
  IdentityAdmin& identity;
  CrlCache& crl;
  const Clock& clock;
  DeviceCsv csv;        // CSV import and export
  CapfReports reports;  // the CAPF and expiring-LSC reports
  // Extra Prometheus text appended to /metrics (the phone server's counters); may be empty.
  std::function<std::string()> server_metrics;
  // The Offline CA procedure (it reads the configured offline chain at each import).
  OfflineAdmin& offline;
  // The [issuer] mode and settings (they live in opencapf.toml, which the daemon reloads).
  IssuerAdmin& issuer;
  // The nodes, the registry and the device claims (GET /api/v1/cluster).
  ClusterStatus cluster;
};

void add_device_routes(Router& router, ApiServices& services);
void add_ledger_routes(Router& router, ApiServices& services);  // certificates, CRL, trust
// The CAPF identities and changes to them: list, csr, import, regenerate, retire.
void add_identity_routes(Router& router, ApiServices& services);
void add_access_routes(Router& router, ApiServices& services);  // tokens, audit
void add_metrics_route(Router& router, ApiServices& services);
// CSV import and export of devices, and the CAPF and expiring-LSC reports.
void add_bulk_routes(Router& router, ApiServices& services);
// The Offline CA procedure: waiting requests, their export as .tgz, import of signed certificates.
void add_offline_routes(Router& router, ApiServices& services);
// The issuer in use and a change of it, and renewal of LSCs that expire soon.
void add_issuer_routes(Router& router, ApiServices& services);
// The cluster's nodes, registry and device claims: GET /api/v1/cluster.
void add_cluster_routes(Router& router, ApiServices& services);
// The web console's static files (public): GET / and GET /console/{file}.
void add_console_routes(Router& router);

// Every route above.
void add_all_routes(Router& router, ApiServices& services);

}  // namespace capf::api
