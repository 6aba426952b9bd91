// hikyaku: the command line (DESIGN §4). Exit 0 ok, 1 a check failed, 2 usage or config error.
// `-c FILE` is accepted before or after the verb; every verb reads the same default path.
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/arc_command.hpp"
#include "app/auth_command.hpp"
#include "app/check.hpp"
#include "app/dns_records_command.hpp"
#include "app/doctor_command.hpp"
#include "app/config_command.hpp"
#include "app/queue_command.hpp"
#include "app/route_command.hpp"
#include "app/tls_policy_command.hpp"
#include "app/dmarc_report_command.hpp"
#include "app/tls_report_command.hpp"
#include "app/serve.hpp"
#include "app/srs_command.hpp"
#include "app/version.hpp"
#include "auth/spf_helper_main.hpp"
#include "auth/spf_launcher.hpp"
#include "config/loader.hpp"
#include "core/address.hpp"
#include "core/ip_address.hpp"

namespace {

constexpr const char* kDefaultConfig = "/etc/hikyaku/hikyaku.toml";
constexpr const char* kExitStatus =
    "Exit status: 0 success; 1 a check failed (check, auth, doctor: an error found, srs: no such\n"
    "address); 2 usage or configuration error; 3 doctor: the DNS gave no answer at all.";

// The verb path of argv ("srs forward") when a word where a verb belongs names none: CLI11 alone
// would say "A subcommand is required" or list the word as unexpected.
std::optional<std::string> unknown_verb(CLI::App& cli, int argc, char** argv) {
  CLI::App* level = &cli;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "-c" || word == "--config") {
      ++i;  // its value
      continue;
    }
    if (word.starts_with('-')) continue;
    if (level->get_subcommands({}).empty()) return std::nullopt;  // a leaf: operands follow
    CLI::App* next = nullptr;
    for (CLI::App* sub : level->get_subcommands({})) {
      if (sub->check_name(std::string(word))) next = sub;
    }
    if (next == nullptr) return path.empty() ? std::string(word) : path + " " + std::string(word);
    path += path.empty() ? std::string(word) : " " + std::string(word);
    level = next;
  }
  return std::nullopt;
}

// Usage errors for values the verbs would otherwise only find out about later.
const CLI::Validator kIpAddress(
    [](std::string& text) -> std::string {
      return hikyaku::core::IpAddress::parse(text) ? "" : "not an IP address: \"" + text + "\"";
    },
    "IP");
const CLI::Validator kReversePath(
    [](std::string& text) -> std::string {
      if (text == "<>" || text.empty()) return "";
      std::string_view inner = text;
      if (inner.size() >= 2 && inner.front() == '<' && inner.back() == '>') inner = inner.substr(1, inner.size() - 2);
      auto parsed = hikyaku::core::parse_mailbox(inner, true);
      if (!parsed) return "\"" + text + "\": " + std::string(hikyaku::core::describe(parsed.error()));
      text = std::string(inner);
      return "";
    },
    "ADDR");
const CLI::Validator kHostPort(
    [](std::string& text) -> std::string {
      const auto colon = text.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        return "not HOST:PORT: \"" + text + "\"";
      }
      const std::string port = text.substr(colon + 1);
      if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) == 0 ||
          std::stoi(port) > 65535) {
        return "bad port in \"" + text + "\"";
      }
      return "";
    },
    "HOST:PORT");

}  // namespace

int main(int argc, char** argv) {
  // Hidden: an SPF helper process started by the relay with its socket on fd 3 (DESIGN §3).
  // argv[2], when given, is the user a helper started as root becomes ([auth] spf_helper_user).
  if ((argc == 2 || argc == 3) && std::string_view(argv[1]) == "spf-helper") {
    return hikyaku::auth::spf_helper_main(3, argc == 3 ? argv[2] : "nobody");
  }
  // Hidden: the launcher that starts SPF helpers for a relay that has dropped root.
  if (argc == 3 && std::string_view(argv[1]) == "spf-launcher") return hikyaku::auth::spf_launcher_main(3, argv[2]);
  CLI::App cli{"Hikyaku: an SMTP forwarding relay"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string("hikyaku ") + hikyaku::app::kVersion);
  cli.footer(kExitStatus);

  std::string config_path = kDefaultConfig;
  // `hikyaku -c FILE VERB`: the same option before the verb.
  std::string global_config;
  cli.add_option("-c,--config", global_config, "configuration file (also accepted after the verb)");
  auto* serve = cli.add_subcommand("serve", "run the relay in the foreground");
  serve->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  auto* check = cli.add_subcommand("check", "validate the configuration, keys and rules");
  check->add_option("-c,--config", config_path, "configuration file")->capture_default_str();

  auto* srs = cli.add_subcommand("srs", "rewrite or reverse an address with the configured SRS keys");
  srs->require_subcommand(1);
  std::string address;
  auto* srs_forward = srs->add_subcommand("forward", "SRS-rewrite a sender address");
  auto* srs_reverse = srs->add_subcommand("reverse", "reverse an SRS address to the original sender");
  for (auto* sub : {srs_forward, srs_reverse}) {
    sub->add_option("ADDR", address, "the address")->required();
    sub->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  }

  auto* arc = cli.add_subcommand("arc", "ARC (RFC 8617) tools");
  arc->require_subcommand(1);
  hikyaku::app::ArcCommandOptions arc_options;
  auto* arc_verify = arc->add_subcommand("verify", "validate the ARC chain of a message on stdin");
  auto* arc_seal = arc->add_subcommand("seal", "add our ARC set to a message on stdin ([arc] in -c FILE)");
  for (auto* sub : {arc_verify, arc_seal}) {
    auto* zone = sub->add_option("--zone", arc_options.zone_files, "zone file(s) with the signers' keys");
    auto* dns = sub->add_option("--dns", arc_options.dns_server, "DNS server HOST:PORT for the keys")->check(kHostPort);
    zone->excludes(dns);
    dns->excludes(zone);
    sub->callback([sub] {
      if (sub->count("--zone") == 0 && sub->count("--dns") == 0) {
        throw CLI::RequiredError("--zone or --dns");
      }
    });
  }
  arc_options.config_path = kDefaultConfig;
  arc_seal->add_option("-c,--config", arc_options.config_path, "configuration file")->capture_default_str();

  hikyaku::app::AuthCommandOptions auth_options;
  auto* auth = cli.add_subcommand("auth", "print the Authentication-Results and DMARC disposition of a message on stdin");
  {
    auto* zone = auth->add_option("--zone", auth_options.zone_files, "zone file(s) to answer DNS from");
    auto* dns = auth->add_option("--dns", auth_options.dns_server, "DNS server HOST:PORT");
    zone->excludes(dns);
    dns->excludes(zone);
    dns->check(kHostPort);
    auth->add_option("--ip", auth_options.client_ip, "the SMTP client's address")->required()->check(kIpAddress);
    auth->add_option("--helo", auth_options.helo, "the EHLO/HELO name")->required();
    auth->add_option("--mail-from", auth_options.mail_from, "the MAIL FROM address (\"<>\" for none)")
        ->required()->check(kReversePath);
    auth->add_option("-c,--config", auth_options.config_path, "take [auth] settings from this configuration");
    auth->callback([auth] {
      if (auth->count("--zone") == 0 && auth->count("--dns") == 0) throw CLI::RequiredError("--zone or --dns");
    });
  }

  hikyaku::app::DoctorCommandOptions doctor_options;
  auto* doctor = cli.add_subcommand("doctor", "diagnose a domain's mail DNS (exit 0 no error, 1 an error, 3 no answers)");
  doctor->add_option("DOMAIN", doctor_options.domain, "the domain")->required();
  doctor->add_option("-c,--config", doctor_options.config_path, "the domain is meant to be served by this configuration");
  doctor->add_option("--dns", doctor_options.dns_server, "recursive DNS server HOST:PORT (default: [dns] of -c, else resolv.conf)")
      ->check(kHostPort);
  doctor->add_option("--selector", doctor_options.selectors, "a DKIM selector to check (repeatable)");
  doctor->add_option("--authoritative", doctor_options.authoritative,
                     "authoritative server IP:PORT to compare (repeatable; default: the zone's NS hosts on port 53)");
  doctor->add_option("--timeout", doctor_options.timeout, "deadline of one DNS question")->capture_default_str();
  doctor->add_flag("--probe", doctor_options.probe, "connect to each MX host: greeting, EHLO, STARTTLS, certificate name");
  doctor->add_option("--probe-port", doctor_options.probe_port, "SMTP port for --probe")->capture_default_str()
      ->check(CLI::Range(1, 65535));
  doctor->add_option("--https-port", doctor_options.https_port, "HTTPS port of the MTA-STS policy host for --probe")
      ->capture_default_str()->check(CLI::Range(1, 65535));
  doctor->add_flag("--json", doctor_options.json, "findings with the DNS queries behind each, as JSON");
  doctor->add_flag("--all", doctor_options.show_ok, "print the checks that passed too");
  doctor->add_flag("!--no-propagation", doctor_options.propagation, "do not ask the authoritative servers directly");

  std::string records_domain;
  auto* dns_records = cli.add_subcommand("dns-records", "the DNS records a served domain publishes, as zone-file lines");
  dns_records->add_option("DOMAIN", records_domain, "the served domain")->required();
  dns_records->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  auto* postmaster = cli.add_subcommand("postmaster", "what a receiving postmaster allowlists for our mail");
  postmaster->add_option("-c,--config", config_path, "configuration file")->capture_default_str();

  bool changed_only = false;
  auto* config_verb = cli.add_subcommand("config", "print the configuration in force, defaults included (postconf)");
  config_verb->add_flag("--changed", changed_only, "only the settings that differ from the defaults");
  config_verb->add_option("-c,--config", config_path, "configuration file")->capture_default_str();

  hikyaku::app::RouteCommandOptions route_options;
  auto* route = cli.add_subcommand("route", "what happens to a recipient: the rule, destinations, SRS sender, DMARC (sends nothing)");
  route->add_option("ADDRESS", route_options.recipient, "the recipient (<a@b> as logged is fine)")->required();
  route->add_option("--from", route_options.sender, "the sender whose SRS form to show (default <>)");
  route->add_option("-c,--config", config_path, "configuration file")->capture_default_str();

  hikyaku::app::DmarcReportCommandOptions dmarc_report_options;
  auto* dmarc_report = cli.add_subcommand("dmarc-report", "the DMARC aggregate reports (RFC 9990) a stored day would send, with their destinations, without sending");
  dmarc_report->add_option("--day", dmarc_report_options.day, "the UTC day, YYYY-MM-DD (default: today)");
  dmarc_report->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  hikyaku::app::TlsPolicyCommandOptions tls_policy_options;
  auto* tls_policy = cli.add_subcommand("tls-policy", "the outbound TLS (DANE, MTA-STS, opportunistic) the relay would enforce for a domain, and why");
  tls_policy->add_option("DOMAIN", tls_policy_options.domain, "the destination domain")->required();
  tls_policy->add_option("-c,--config", config_path, "configuration file")->capture_default_str();

  hikyaku::app::TlsReportCommandOptions tls_report_options;
  auto* tls_report = cli.add_subcommand(
      "tls-report", "the day's RFC 8460 TLS reports (JSON, one per policy domain) from the store, not sent");
  tls_report->add_option("--day", tls_report_options.day, "the UTC day YYYY-MM-DD (default today)");
  tls_report->add_flag("--send", tls_report_options.send,
                       "have the running server send every stored day's reports now, today's included");
  tls_report->add_option("-c,--config", config_path, "configuration file")->capture_default_str();

  auto* queue = cli.add_subcommand("queue", "inspect and drive the queue (the running server's, or the spool)");
  queue->require_subcommand(1);
  std::string queue_id;
  auto* queue_list = queue->add_subcommand("list", "id, age, sender, recipients, last error, next try");
  auto* queue_flush = queue->add_subcommand("flush", "try every queued message now");
  auto* queue_delete = queue->add_subcommand("delete", "remove one message from the queue");
  queue_delete->add_option("ID", queue_id, "the queue id")->required();
  auto* queue_drain = queue->add_subcommand(
      "drain", "try every queued message until the queue is empty (exit 0) or --timeout (exit 1)");
  std::string drain_timeout = "10m";
  std::string drain_retry_every = "10s";
  queue_drain->add_option("--timeout", drain_timeout, "give up after this long (30s, 10m, 1h)")
      ->capture_default_str();
  queue_drain->add_option("--retry-every", drain_retry_every, "make what is left due again this often")
      ->capture_default_str();
  for (auto* sub : {queue_list, queue_flush, queue_delete, queue_drain}) {
    sub->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  }

  if (auto verb = unknown_verb(cli, argc, argv)) {
    fmt::print(stderr, "hikyaku: unknown command \"{}\"\nRun with --help for the commands.\n", *verb);
    return 2;
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!global_config.empty()) {
    // A -c after the verb wins over one before it.
    const auto given_here = [](CLI::App* app) {
      const CLI::Option* option = app->get_option_no_throw("--config");
      return option != nullptr && option->count() > 0;
    };
    bool given_after = false;
    for (CLI::App* sub : cli.get_subcommands()) {
      given_after = given_after || given_here(sub);
      for (CLI::App* inner : sub->get_subcommands()) given_after = given_after || given_here(inner);
    }
    if (!given_after) {
      config_path = global_config;
      arc_options.config_path = global_config;
      auth_options.config_path = global_config;
      doctor_options.config_path = global_config;
    }
  }
  if (*serve) return hikyaku::app::serve(config_path);
  if (*check) return hikyaku::app::check(config_path);
  if (*auth) return hikyaku::app::auth_command(auth_options);
  if (*doctor) return hikyaku::app::doctor_command(doctor_options);
  if (*dns_records) return hikyaku::app::dns_records_command(config_path, records_domain);
  if (*postmaster) return hikyaku::app::postmaster_command(config_path);
  if (*arc_verify) return hikyaku::app::arc_verify_command(arc_options);
  if (*arc_seal) return hikyaku::app::arc_seal_command(arc_options);
  if (*queue_drain) {
    hikyaku::app::DrainOptions drain;
    const auto timeout = hikyaku::config::parse_duration(drain_timeout);
    const auto retry_every = hikyaku::config::parse_duration(drain_retry_every);
    if (!timeout || !retry_every || retry_every->count() <= 0) {
      fmt::print(stderr, "hikyaku queue drain: --timeout and --retry-every take a duration (30s, 10m, 1h)\n");
      return 2;
    }
    drain.timeout = *timeout;
    drain.retry_every = *retry_every;
    return hikyaku::app::queue_drain_command(config_path, drain);
  }
  if (*queue) {
    using hikyaku::app::QueueVerb;
    const QueueVerb verb = *queue_list ? QueueVerb::list : *queue_flush ? QueueVerb::flush : QueueVerb::remove;
    return hikyaku::app::queue_command(config_path, verb, queue_id);
  }
  if (*config_verb) return hikyaku::app::config_command(config_path, changed_only);
  if (*route) {
    route_options.config_path = config_path;
    return hikyaku::app::route_command(route_options);
  }
  if (*dmarc_report) {
    dmarc_report_options.config_path = config_path;
    return hikyaku::app::dmarc_report_command(dmarc_report_options);
  }
  if (*tls_policy) {
    tls_policy_options.config_path = config_path;
    return hikyaku::app::tls_policy_command(tls_policy_options);
  }
  if (*tls_report) {
    tls_report_options.config_path = config_path;
    return hikyaku::app::tls_report_command(tls_report_options);
  }
  if (*srs) return hikyaku::app::srs_command(config_path, bool(*srs_forward), address);
  return 2;
}
