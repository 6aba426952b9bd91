// hikyaku: the command line (DESIGN §4). Exit 0 ok, 1 a check failed, 2 usage or config error.
#include <string_view>

#include <CLI/CLI.hpp>

#include "app/arc_command.hpp"
#include "app/auth_command.hpp"
#include "app/check.hpp"
#include "app/dns_records_command.hpp"
#include "app/doctor_command.hpp"
#include "app/queue_command.hpp"
#include "app/serve.hpp"
#include "app/srs_command.hpp"
#include "auth/spf_helper_main.hpp"
#include "auth/spf_launcher.hpp"

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
  cli.set_version_flag("--version", "hikyaku 0.1.0");

  std::string config_path = "/etc/hikyaku/hikyaku.toml";
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
    auto* dns = sub->add_option("--dns", arc_options.dns_server, "DNS server HOST:PORT for the keys");
    zone->excludes(dns);
    dns->excludes(zone);
    sub->callback([sub] {
      if (sub->count("--zone") == 0 && sub->count("--dns") == 0) {
        throw CLI::RequiredError("--zone or --dns");
      }
    });
  }
  arc_seal->add_option("-c,--config", arc_options.config_path, "configuration file")->required();

  hikyaku::app::AuthCommandOptions auth_options;
  auto* auth = cli.add_subcommand("auth", "print the Authentication-Results and DMARC disposition of a message on stdin");
  {
    auto* zone = auth->add_option("--zone", auth_options.zone_files, "zone file(s) to answer DNS from");
    auto* dns = auth->add_option("--dns", auth_options.dns_server, "DNS server HOST:PORT");
    zone->excludes(dns);
    dns->excludes(zone);
    auth->add_option("--ip", auth_options.client_ip, "the SMTP client's address")->required();
    auth->add_option("--helo", auth_options.helo, "the EHLO/HELO name")->required();
    auth->add_option("--mail-from", auth_options.mail_from, "the MAIL FROM address (\"<>\" for none)")->required();
    auth->add_option("-c,--config", auth_options.config_path, "take [auth] settings from this configuration");
    auth->add_option("--pct-roll", auth_options.pct_roll, "DMARC pct= sampling draw 0-99 (default 0: pct applies)")
        ->check(CLI::Range(0, 99));
    auth->callback([auth] {
      if (auth->count("--zone") == 0 && auth->count("--dns") == 0) throw CLI::RequiredError("--zone or --dns");
    });
  }

  hikyaku::app::DoctorCommandOptions doctor_options;
  auto* doctor = cli.add_subcommand("doctor", "diagnose a domain's mail DNS (exit 0 no error, 1 an error, 3 no answers)");
  doctor->add_option("DOMAIN", doctor_options.domain, "the domain")->required();
  doctor->add_option("-c,--config", doctor_options.config_path, "the domain is meant to be served by this configuration");
  doctor->add_option("--dns", doctor_options.dns_server, "recursive DNS server HOST:PORT (default: [dns] of -c, else resolv.conf)");
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

  auto* queue = cli.add_subcommand("queue", "inspect and drive the queue (the running server's, or the spool)");
  queue->require_subcommand(1);
  std::string queue_id;
  auto* queue_list = queue->add_subcommand("list", "id, age, sender, recipients, last error, next try");
  auto* queue_flush = queue->add_subcommand("flush", "try every queued message now");
  auto* queue_delete = queue->add_subcommand("delete", "remove one message from the queue");
  queue_delete->add_option("ID", queue_id, "the queue id")->required();
  for (auto* sub : {queue_list, queue_flush, queue_delete}) {
    sub->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*serve) return hikyaku::app::serve(config_path);
  if (*check) return hikyaku::app::check(config_path);
  if (*auth) return hikyaku::app::auth_command(auth_options);
  if (*doctor) return hikyaku::app::doctor_command(doctor_options);
  if (*dns_records) return hikyaku::app::dns_records_command(config_path, records_domain);
  if (*postmaster) return hikyaku::app::postmaster_command(config_path);
  if (*arc_verify) return hikyaku::app::arc_verify_command(arc_options);
  if (*arc_seal) return hikyaku::app::arc_seal_command(arc_options);
  if (*queue) {
    using hikyaku::app::QueueVerb;
    const QueueVerb verb = *queue_list ? QueueVerb::list : *queue_flush ? QueueVerb::flush : QueueVerb::remove;
    return hikyaku::app::queue_command(config_path, verb, queue_id);
  }
  if (*srs) return hikyaku::app::srs_command(config_path, bool(*srs_forward), address);
  return 2;
}
