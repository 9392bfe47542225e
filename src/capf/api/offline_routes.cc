// The Offline CA procedure over the API (CUCM's `utils capf csr dump` / `cert import`):
// GET /api/v1/offline/requests, GET /api/v1/offline/export (the requests as one .tgz) and
// POST /api/v1/offline/import (a certificate file or .tgz the offline CA signed). The files
// OfflineAdmin reads and writes live in a private temporary folder for the length of one call.
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"
#include "capf/common/file.h"
#include "capf/service/device_json.h"

namespace capf::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A folder only this process can read, removed with everything in it when the scope ends.
class ScratchDir {
 public:
  static Result<ScratchDir> create() {
    std::string pattern = (fs::temp_directory_path() / "opencapf-offline-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return make_error(ErrorCode::kIo, "cannot make a temporary folder under {}",
                        fs::temp_directory_path().string());
    }
    return ScratchDir(pattern);
  }
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ~ScratchDir() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const fs::path& path() const { return path_; }

 private:
  explicit ScratchDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

ApiResponse list_requests(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(const bool want_stale, query_flag(req.http, "stale"));
  return respond_items(s.offline.list(want_stale));
}

ApiResponse export_requests(ApiServices& s, const RouteRequest&) {
  CAPF_API_ASSIGN(const ScratchDir scratch, ScratchDir::create());
  CAPF_API_ASSIGN(const auto report, s.offline.export_requests(scratch.path() / "requests"));
  auto archive = read_file(report.archive);
  if (!archive)
    return internal_problem(archive.error().message);
  ApiResponse r;
  r.content_type = "application/gzip";
  r.body = std::move(archive).value();
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"capf-requests.tgz\"");
  r.headers.emplace_back("X-Request-Count", std::to_string(report.requests.size()));
  return r;
}

// The name the upload is stored under: its extension tells OfflineAdmin how to read it.
std::string upload_name(const ApiRequest& http) {
  auto it = http.query.find("filename");
  std::string name = it == http.query.end() ? "" : fs::path(it->second).filename().string();
  if (name.empty() || name == "." || name == "..")
    name = http.body.starts_with("\x1f\x8b") ? "upload.tgz" : "upload.pem";
  return name;
}

ApiResponse import_certificates(ApiServices& s, const RouteRequest& req) {
  if (auto empty = refuse_empty_body(
          req.http, "send what the offline CA signed (PEM or DER certificates, or a .tgz of them)"))
    return *empty;
  CAPF_API_ASSIGN(const bool want_partial, query_flag(req.http, "partial"));
  CAPF_API_ASSIGN(const ScratchDir scratch, ScratchDir::create());
  const fs::path file = scratch.path() / upload_name(req.http);
  {
    std::ofstream out(file, std::ios::binary);
    out.write(req.http.body.data(), static_cast<std::streamsize>(req.http.body.size()));
    if (!out)
      return internal_problem(
          fmt::format("cannot store the upload in {}: {}", file.string(), std::strerror(errno)));
  }
  CAPF_API_ASSIGN(const auto report, s.offline.import({file}, want_partial, req.actor()));
  json lines = json::array();
  for (const auto& l : report.lines) {
    lines.push_back(json{{"source", fs::path(l.source).filename().string()},
                         {"device", l.device},
                         {"ok", l.ok},
                         {"outcome", l.outcome}});
  }
  json body{{"applied", report.applied},
            {"imported", report.imported},
            {"stale", report.stale},
            {"errors", report.errors},
            {"lines", lines}};
  if (!report.applied && report.errors > 0) {
    return problem(400,
                   fmt::format("{} certificate{} could not be imported and nothing was: see "
                               "report.lines, or send ?partial=true to import the others",
                               report.errors, report.errors == 1 ? "" : "s"),
                   json{{"report", body}});
  }
  return json_response(body);
}

}  // namespace

void add_offline_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/offline/requests", Permission::kRead, s, list_requests);
  router.add("GET", "/api/v1/offline/export", Permission::kRead, s, export_requests);
  router.add("POST", "/api/v1/offline/import", Permission::kOperate, s, import_certificates);
}

}  // namespace capf::api
