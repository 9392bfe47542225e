// adcs_standin: the stand-in AD CS web enrollment as a program, for trying opencapf's Online CA
// by hand and for shell tests.
//
//   adcs_standin [--port N] [--user DOMAIN\user] [--password P] [--auth ntlm|basic|both]
//                [--template NAME=issue|pending|deny[:disposition message]]...
//                [--ca-out ca.pem] [--url-out url.txt]
//
// Prints the URL and the credentials, writes the CA certificate (which also issued the HTTPS
// certificate) to --ca-out and the URL to --url-out, and serves until SIGINT or SIGTERM. Lines on
// standard input act as the CA administrator: "approve N", "deny N <message>", "stats", "quit".
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "adcs_standin.h"

namespace {

using capf::testing::AdcsStandin;
using capf::testing::StandinAuth;
using capf::testing::StandinOptions;
using capf::testing::TemplateBehaviour;

struct TemplateArg {
  std::string name;
  TemplateBehaviour behaviour;
  std::string message;
};

int usage(const std::string& why) {
  std::cerr << "adcs_standin: " << why
            << "\nusage: adcs_standin [--port N] [--user DOMAIN\\user] [--password P] "
               "[--auth ntlm|basic|both] [--template NAME=issue|pending|deny[:message]]... "
               "[--ca-out FILE] [--url-out FILE]\n";
  return 2;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

void administer(AdcsStandin& standin) {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string verb;
    int id = 0;
    in >> verb;
    if (verb == "approve" && (in >> id)) {
      std::cout << (standin.approve(id) ? "approved " : "no pending request ") << id << std::endl;
    } else if (verb == "deny" && (in >> id)) {
      std::string message;
      std::getline(in >> std::ws, message);
      std::cout << (standin.deny(id, message) ? "denied " : "no pending request ") << id
                << std::endl;
    } else if (verb == "stats") {
      auto s = standin.stats();
      std::cout << "connections " << s.connections << ", new requests " << s.new_requests
                << ", issued " << s.issued << ", pending " << s.pending << ", denied " << s.denied
                << ", ntlm logons " << s.ntlm_logons << ", basic logons " << s.basic_logons
                << ", refused logons " << s.refused_logons << std::endl;
    } else if (verb == "quit") {
      ::kill(::getpid(), SIGTERM);
      return;
    } else if (!verb.empty()) {
      std::cout << "commands: approve N | deny N <message> | stats | quit" << std::endl;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  StandinOptions options;
  options.account.password = "Passw0rd!";
  std::vector<TemplateArg> templates;
  std::string ca_out;
  std::string url_out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc)
      return usage("missing a value after " + arg);
    std::string value = argv[++i];
    if (arg == "--port") {
      char* end = nullptr;
      long port = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || port < 0 || port > 65535)
        return usage("--port takes a number from 0 to 65535");
      options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--user") {
      std::size_t slash = value.find('\\');
      if (slash != std::string::npos) {
        options.account.domain = value.substr(0, slash);
        value = value.substr(slash + 1);
      }
      options.account.username = value;
    } else if (arg == "--password") {
      options.account.password = value;
    } else if (arg == "--auth") {
      if (value == "ntlm")
        options.auth = StandinAuth::kNtlm;
      else if (value == "basic")
        options.auth = StandinAuth::kBasic;
      else if (value == "both")
        options.auth = StandinAuth::kNtlmAndBasic;
      else
        return usage("--auth takes ntlm, basic or both");
    } else if (arg == "--template") {
      std::size_t eq = value.find('=');
      if (eq == std::string::npos)
        return usage("--template takes NAME=issue|pending|deny[:message]");
      std::string kind = value.substr(eq + 1);
      std::string message;
      if (std::size_t colon = kind.find(':'); colon != std::string::npos) {
        message = kind.substr(colon + 1);
        kind = kind.substr(0, colon);
      }
      TemplateBehaviour behaviour = TemplateBehaviour::kIssue;
      if (kind == "pending")
        behaviour = TemplateBehaviour::kPending;
      else if (kind == "deny")
        behaviour = TemplateBehaviour::kDeny;
      else if (kind != "issue")
        return usage("--template behaviour must be issue, pending or deny");
      templates.push_back({value.substr(0, eq), behaviour, message});
    } else if (arg == "--ca-out") {
      ca_out = value;
    } else if (arg == "--url-out") {
      url_out = value;
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (templates.empty())
    templates.push_back({"CiscoRA", TemplateBehaviour::kIssue, ""});

  // Signals go to sigwait below, not to whichever thread happens to run.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto standin = AdcsStandin::start(options);
  if (!standin) {
    std::cerr << "adcs_standin: " << standin.error().message << "\n";
    return 1;
  }
  for (const auto& t : templates)
    (*standin)->set_template(t.name, t.behaviour, t.message);
  if (!ca_out.empty() && !write_file(ca_out, (*standin)->ca_certificate().pem()))
    return usage("cannot write " + ca_out);
  // The URL file is written last: a script that waits for it finds everything in place.
  if (!url_out.empty() && !write_file(url_out, (*standin)->url() + "\n"))
    return usage("cannot write " + url_out);
  std::cout << "adcs_standin: serving " << (*standin)->url() << " for " << options.account.domain
            << "\\" << options.account.username << std::endl;
  std::thread(administer, std::ref(**standin)).detach();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*standin)->stop();
  std::cout << "adcs_standin: stopped" << std::endl;
  return 0;
}
