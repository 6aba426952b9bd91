// hikyaku doctor: options to doctor::DoctorOptions, an UnboundResolver for the recursive
// questions, doctor::diagnose, then text or JSON on stdout.
#include "app/doctor_command.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "app/our_side.hpp"
#include "core/asio.hpp"
#include "config/loader.hpp"
#include "core/address.hpp"
#include "dns/direct_query.hpp"
#include "dns/names.hpp"
#include "dns/unbound_resolver.hpp"
#include "doctor/gather.hpp"
#include "doctor/mta_sts_policy.hpp"
#include "doctor/probe.hpp"
#include "doctor/render.hpp"

namespace hikyaku::app {

int doctor_command(const DoctorCommandOptions& c) {
  doctor::DoctorOptions options;
  auto ascii = core::domain_to_ascii(c.domain);
  auto domain = ascii ? dns::normalise_name(*ascii) : std::nullopt;
  if (!domain || domain->find('.') == std::string::npos) {
    fmt::print(stderr, "doctor: \"{}\" is not a domain name\n", c.domain);
    return 2;
  }
  options.domain = *domain;
  for (const auto& s : c.selectors) {
    if (!dns::normalise_name(s)) {
      fmt::print(stderr, "doctor: bad selector \"{}\"\n", s);
      return 2;
    }
    options.selectors.push_back(*dns::normalise_name(s));
  }
  for (const auto& a : c.authoritative) {
    if (!dns::parse_server_endpoint(a)) {
      fmt::print(stderr, "doctor: --authoritative \"{}\" is not IP:PORT\n", a);
      return 2;
    }
    options.authoritative.push_back(a);
  }
  options.propagation = c.propagation;
  const auto timeout = config::parse_duration(c.timeout);
  if (!timeout || timeout->count() <= 0) {
    fmt::print(stderr, "doctor: bad --timeout \"{}\" (e.g. \"5s\")\n", c.timeout);
    return 2;
  }
  std::vector<std::string> servers;
  std::optional<doctor::ProxyRanges> ranges;
  std::string helo;
  if (!c.config_path.empty()) {
    auto loaded = config::load_file(c.config_path);
    if (!loaded) {
      for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
      return 2;
    }
    auto ours = our_side(*loaded);
    if (!ours) {
      fmt::print(stderr, "{}\n", ours.error());
      return 2;
    }
    options.ours = std::move(*ours);
    servers = loaded->dns.servers;
    helo = loaded->relay.helo_name;
    if (!loaded->doctor.proxy_ranges.empty()) {
      std::ifstream in(loaded->doctor.proxy_ranges);
      std::stringstream text;
      text << in.rdbuf();
      auto parsed = doctor::ProxyRanges::parse(text.str(), loaded->doctor.proxy_ranges);
      if (!in || !parsed) {
        fmt::print(stderr, "{}\n", parsed ? "cannot read " + loaded->doctor.proxy_ranges : parsed.error());
        return 2;
      }
      ranges = std::move(*parsed);
      options.ranges = &*ranges;
    }
  }
  if (!c.dns_server.empty()) servers = {c.dns_server};

  asio::io_context io;
  auto resolver = dns::UnboundResolver::create(io.get_executor(), dns::UnboundOptions{servers, *timeout, {}, {}});
  if (!resolver) {
    fmt::print(stderr, "doctor: {}\n", resolver.error());
    return 2;
  }
  std::string label = servers.empty() ? "recursive (resolv.conf)" : "recursive " + servers.front();
  const auto gather = doctor::resolver_gatherer(io, **resolver, label, *timeout);
  doctor::Diagnosis diagnosis = doctor::diagnose(options, gather);
  resolver->reset();  // before the io_context
  io.restart();
  io.run();
  if (c.probe) {
    if (helo.empty()) {
      char name[256] = {};
      helo = gethostname(name, sizeof name - 1) == 0 && name[0] != '\0' ? name : "localhost";
    }
    const auto targets = doctor::probe_targets(options, diagnosis.answers);
    std::vector<doctor::ProbeResult> results(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) {
      asio::co_spawn(io, doctor::probe_smtp(targets[i], static_cast<unsigned short>(c.probe_port), helo, *timeout * 2),
                     [&results, i](std::exception_ptr e, doctor::ProbeResult r) {
                       if (!e) results[i] = std::move(r);
                     });
    }
    // The MTA-STS policy, when _mta-sts announces one (RFC 8461 §3.3).
    const doctor::Observation* sts = diagnosis.answers.find({"_mta-sts." + options.domain, dns::RecordType::txt, {}});
    const bool announced = sts != nullptr && std::any_of(sts->answer.texts.begin(), sts->answer.texts.end(),
                                                         [](const std::string& t) { return t.starts_with("v=STSv1"); });
    std::optional<doctor::PolicyFetch> policy;
    std::vector<std::string> mx_hosts;
    for (const auto& t : targets) {
      if (std::find(mx_hosts.begin(), mx_hosts.end(), t.host) == mx_hosts.end()) mx_hosts.push_back(t.host);
    }
    const std::string policy_host = "mta-sts." + options.domain;
    std::string policy_address;
    for (const auto type : {dns::RecordType::a, dns::RecordType::aaaa}) {
      const doctor::Observation* a = diagnosis.answers.find({policy_host, type, {}});
      if (policy_address.empty() && a != nullptr && !a->answer.addresses.empty()) {
        policy_address = a->answer.addresses.front().to_string();
      }
    }
    if (announced && !policy_address.empty()) {
      asio::co_spawn(io, doctor::fetch_mta_sts_policy(policy_host, policy_address,
                                                      static_cast<unsigned short>(c.https_port), *timeout * 2),
                     [&policy](std::exception_ptr e, doctor::PolicyFetch f) {
                       if (!e) policy = std::move(f);
                     });
    }
    io.restart();
    io.run();
    if (!targets.empty()) doctor::probe_findings(options.domain, results, diagnosis.findings);
    if (policy) doctor::mta_sts_findings(options.domain, *policy, mx_hosts, diagnosis.findings);
  }
  const int rc = doctor::exit_code(diagnosis);
  if (c.json) {
    fmt::print("{}", doctor::render_json(options.domain, diagnosis, rc));
  } else {
    fmt::print("{}", doctor::render_text(diagnosis, c.show_ok));
    if (rc == 0) fmt::print("{}: no errors ({} findings)\n", options.domain, diagnosis.findings.size());
    if (rc == 3) fmt::print("{}: the MX, SPF or DMARC lookups could not be answered\n", options.domain);
  }
  return rc;
}

}  // namespace hikyaku::app
