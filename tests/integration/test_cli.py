"""The command line as a postmaster meets it: verbs, -c before or after the verb, usage errors
with exit 2, addresses pasted with their angle brackets, the exit codes in --help."""
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

from harness import RelayTestCase, SmtpClient

HIKYAKU = os.environ.get("HIKYAKU_BIN", "hikyaku")
SRS_CONFIG = '[srs]\ndomain = "fwd.example.net"\nsecrets = ["k1"]\n'


class WithConfigFile(unittest.TestCase):
    """A scratch directory with CONFIG written to `self.conf`."""
    CONFIG = ""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.conf = os.path.join(self.dir.name, "hikyaku.toml")
        with open(self.conf, "w") as f:
            f.write(self.CONFIG)

    def tearDown(self):
        self.dir.cleanup()


def run(*args, stdin=""):
    return subprocess.run([HIKYAKU, *args], input=stdin, capture_output=True, text=True, timeout=60)


class CommandLine(WithConfigFile):
    CONFIG = SRS_CONFIG

    def test_unknown_verb_is_named(self):
        r = run("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn('unknown command "frobnicate"', r.stderr)
        self.assertNotIn("subcommand is required", r.stderr)

    def test_unknown_second_word_is_named_with_its_verb(self):
        r = run("queue", "purge", "-c", self.conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn('unknown command "queue purge"', r.stderr)

    def test_config_before_or_after_the_verb(self):
        before = run("-c", self.conf, "srs", "forward", "alice@origin.example")
        after = run("srs", "forward", "alice@origin.example", "-c", self.conf)
        self.assertEqual(before.returncode, 0, before.stderr)
        self.assertEqual(after.returncode, 0, after.stderr)
        self.assertEqual(before.stdout, after.stdout)
        self.assertTrue(before.stdout.startswith("SRS0="), before.stdout)

    def test_config_after_the_verb_wins(self):
        r = run("-c", os.path.join(self.dir.name, "missing.toml"), "srs", "forward", "a@origin.example",
                "-c", self.conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        missing_only = run("-c", os.path.join(self.dir.name, "missing.toml"), "check")
        self.assertEqual(missing_only.returncode, 2)
        self.assertIn("missing.toml", missing_only.stderr)

    def test_address_pasted_from_a_log_line(self):
        plain = run("srs", "forward", "alice@origin.example", "-c", self.conf)
        bracketed = run("srs", "forward", "<alice@origin.example>", "-c", self.conf)
        self.assertEqual(bracketed.returncode, 0, bracketed.stderr)
        self.assertEqual(plain.stdout, bracketed.stdout)
        back = run("srs", "reverse", "<" + bracketed.stdout.strip() + ">", "-c", self.conf)
        self.assertEqual((back.returncode, back.stdout.strip()), (0, "alice@origin.example"))

    def test_bad_address_is_a_usage_error_said_once(self):
        r = run("srs", "forward", "not an address", "-c", self.conf)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.count("address syntax error"), 1, r.stderr)

    def test_bad_ip_is_a_usage_error(self):
        r = run("auth", "--ip", "1.2.3", "--helo", "h.example", "--mail-from", "a@b.example",
                "--zone", os.devnull)
        self.assertEqual(r.returncode, 2)
        self.assertIn('not an IP address: "1.2.3"', r.stderr)

    def test_bad_mail_from_and_dns_server_are_usage_errors(self):
        r = run("auth", "--ip", "192.0.2.1", "--helo", "h.example", "--mail-from", "a b",
                "--zone", os.devnull)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--mail-from", r.stderr)
        r = run("doctor", "--dns", "127.0.0.1", "example.com")
        self.assertEqual(r.returncode, 2)
        self.assertIn("HOST:PORT", r.stderr)

    def test_help_lists_exit_codes_and_version_prints(self):
        h = run("--help")
        self.assertEqual(h.returncode, 0)
        self.assertIn("Exit status: 0 success", h.stdout)
        v = run("--version")
        self.assertEqual(v.returncode, 0)
        self.assertRegex(v.stdout.strip(), r"^hikyaku \d+\.\d+\.\d+$")


SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf", "hikyaku.toml")
ROUTES = """[server]
hostname = "mx.fwd.example.net"
max_hops = 60
[srs]
domain = "fwd.example.net"
secrets = ["k1"]
[[domain]]
name = "example.com"
catch_all = { action = "reject", code = 550, text = "5.1.1 No such user here" }
[[domain.rule]]
address = "info"
forward = ["alice@dest.example", "bob@other.example"]
[[domain.rule]]
address = "spam"
action = "drop"
[[domain]]
name = "b\u00fccher.example"
dmarc_enforce = false
[[domain.rule]]
address = "kontakt"
forward = ["c@dest.example"]
"""


def keys_by_table(text, commented):
    """{table: {key}} of `key = value` lines (and `# key = value` when commented) outside [[...]]."""
    out, table = {}, None
    for line in text.splitlines():
        m = re.match(r"^(?:# ?)?\[([a-z_.]+)\]\s*$", line)
        if m:
            table = m.group(1)
            continue
        if re.match(r"^(?:# ?)?\[\[", line):
            table = None
            continue
        m = re.match(r"^(#\s?)?([a-z_0-9]+) = \S", line)
        if m and table and (commented or not m.group(1)):
            out.setdefault(table, set()).add(m.group(2))
    return out


class ConfigVerb(WithConfigFile):
    """`hikyaku config` (postconf): every key, its effective value, loadable again."""

    CONFIG = ROUTES

    def test_every_documented_key_is_printed(self):
        r = run("config", "-c", SHIPPED)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(SHIPPED) as f:
            documented = keys_by_table(f.read(), commented=True)
        printed = keys_by_table(r.stdout, commented=True)
        self.assertTrue(documented.get("server"), "no [server] keys found in the shipped file")
        for table, keys in documented.items():
            self.assertEqual(printed.get(table, set()), keys, f"[{table}]")

    def test_output_loads_again_and_prints_the_same(self):
        first = run("config", "-c", self.conf)
        self.assertEqual(first.returncode, 0, first.stderr)
        copy = os.path.join(self.dir.name, "copy.toml")
        with open(copy, "w") as f:
            f.write(first.stdout.replace('["..."]', '["k1"]'))
        self.assertEqual(run("check", "-c", copy).returncode, 0)
        second = run("config", "-c", copy)
        self.assertEqual(first.stdout.splitlines()[1:], second.stdout.splitlines()[1:])
        self.assertIn("max_hops = 60\n", first.stdout)
        self.assertIn("max_recipients = 100\n", first.stdout)  # a default, shown
        self.assertNotIn("k1", first.stdout)  # SRS secrets are never printed

    def test_changed_shows_only_what_differs(self):
        r = run("config", "--changed", "-c", self.conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        changed = keys_by_table(r.stdout, commented=True)
        self.assertEqual(changed, {"server": {"hostname", "max_hops"}, "srs": {"domain", "secrets"}})
        self.assertIn('name = "example.com"', r.stdout)  # the domains are always shown
        self.assertIn('forward = ["alice@dest.example", "bob@other.example"]', r.stdout)


class RouteVerb(WithConfigFile):
    """`hikyaku route ADDRESS` (sendmail -bv): the decision for a recipient, nothing sent."""

    CONFIG = ROUTES

    def route(self, *args):
        return run("route", *args, "-c", self.conf)

    def test_subaddress_and_case_with_srs_sender(self):
        r = self.route("<Info+news@Example.COM>", "--from", "bob@origin.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('match: rule info@example.com (subaddress: "+news" after the separator ignored)', r.stdout)
        self.assertIn("local part compared without case", r.stdout)
        self.assertIn("destination: <alice@dest.example>\ndestination: <bob@other.example>\n", r.stdout)
        self.assertIn("rcpt reply: 250 2.1.5 Ok", r.stdout)
        srs = re.search(r"sender upstream: <(SRS0=[^>]+)>", r.stdout)
        self.assertIsNotNone(srs, r.stdout)
        back = run("srs", "reverse", srs.group(1), "-c", self.conf)
        self.assertEqual(back.stdout.strip(), "bob@origin.example")
        self.assertIn("dmarc: enforced", r.stdout)

    def test_idn_domain_and_its_dmarc_override(self):
        r = self.route("kontakt@b\u00fccher.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("IDN b\u00fccher.example is xn--bcher-kva.example", r.stdout)
        self.assertIn("dmarc: not enforced", r.stdout)

    def test_refusals_exit_1_with_the_rcpt_reply(self):
        cases = {
            "nobody@example.com": ("catch-all example.com", "550 5.1.1 No such user here"),
            "x@other.example": ("not served other.example", "550 5.7.1 <x@other.example>: Relay access denied"),
        }
        for address, (match, reply) in cases.items():
            r = self.route(address)
            self.assertEqual(r.returncode, 1, address)
            self.assertIn("match: " + match, r.stdout)
            self.assertIn("rcpt reply: " + reply, r.stdout)
            self.assertNotIn("destination:", r.stdout)

    def test_drop_is_accepted(self):
        r = self.route("spam@example.com")
        self.assertEqual(r.returncode, 0)
        self.assertIn("action: drop", r.stdout)

    def test_bad_address_is_a_usage_error(self):
        r = self.route("no at sign")
        self.assertEqual(r.returncode, 2)
        self.assertIn("address syntax error", r.stderr)


class StartupSummary(RelayTestCase):
    """Start-up and reload say which version runs and one line per domain (what is loaded)."""

    def test_version_and_domain_lines_at_start_and_reload(self):
        rules = ('[[domain]]\nname = "summary.example"\ncatch_all = { action = "drop" }\n'
                 'subaddress_separator = "+-"\n[[domain.rule]]\naddress = "info"\nforward = ["a@dest.example"]\n'
                 '[[domain]]\nname = "other.example"\ndmarc_enforce = false\nsubaddressing = false\n')
        r = self.relay(domains_extra=rules)
        version = run("--version").stdout.split()[1]
        log = r.read_log()
        self.assertIn(f"hikyaku {version} started: 4 domain(s)", log)
        self.assertIn('domain summary.example: rules=1 catch-all=drop subaddressing="+-" dmarc=enforced', log)
        self.assertIn("domain example.com: rules=4 catch-all=none (550 5.1.1) subaddressing=\"+\" dmarc=enforced", log)
        self.assertIn("domain other.example: rules=0 catch-all=none (550 5.1.1) subaddressing=off "
                      "dmarc=not enforced", log)
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log(f"hikyaku {version} reloaded", timeout=60), r.read_log())
        self.assertTrue(r.wait_for_log("domain other.example: rules=0", timeout=60))
        self.assertEqual(r.read_log().count("domain other.example: rules=0"), 2)

    def test_reload_compares_with_what_runs_and_applies_the_log_level(self):
        r = self.relay()
        original = r.config_text()
        moved = original.replace(f'"127.0.0.1:{r.port}"', f'"127.0.0.1:{r.port + 1}"')
        self.assertNotEqual(moved, original)
        r.write_config(moved)
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("reloaded", timeout=60), r.read_log())
        warning = "reload: server.listen/proxy_listen differs from the running value"
        self.assertEqual(r.read_log().count(warning), 1)
        # Back to what runs: nothing to warn about, though the last file loaded differed.
        r.write_config(original.replace('level = "debug"', 'level = "warning"'))
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("log level now warning", timeout=60), r.read_log())
        self.assertEqual(r.read_log().count(warning), 1)
        # The new level holds at once: a session's info lines are no longer written.
        before = r.read_log().count("connect from")
        c = SmtpClient(r.port)
        c.command("QUIT")
        c.close()
        r.write_config(original)
        r.signal(signal.SIGHUP)  # back to debug: the next line proves the session has been logged
        self.assertTrue(r.wait_for_log("log level now debug", timeout=60), r.read_log())
        self.assertEqual(r.read_log().count("connect from"), before)

    def test_reload_on_change_follows_a_configmap_symlink_swap(self):
        """[server] reload_on_change: a Kubernetes ConfigMap volume swaps its `..data` link to a
        new directory; the relay reloads once for a new content, not for the same content."""
        from harness import Hikyaku
        r = Hikyaku(self.workdir, server_extra="reload_on_change = true\n")
        mount = os.path.join(self.workdir, "configmap")
        os.makedirs(os.path.join(mount, "..v1"))

        def publish(version, text):
            os.makedirs(os.path.join(mount, version), exist_ok=True)
            with open(os.path.join(mount, version, "hikyaku.toml"), "w") as f:
                f.write(text)
            tmp = os.path.join(mount, "..data_tmp")
            os.symlink(version, tmp)
            os.replace(tmp, os.path.join(mount, "..data"))  # atomic, as the kubelet does

        publish("..v1", r.config_text())
        os.symlink("..data/hikyaku.toml", os.path.join(mount, "hikyaku.toml"))
        r.config_path = os.path.join(mount, "hikyaku.toml")
        r.start()
        self.relays.append(r)
        self.assertTrue(r.wait_for_log("watching " + r.config_path), r.read_log())
        extra = '\n[[domain]]\nname = "added.example"\ncatch_all = { action = "drop" }\n'
        publish("..v2", r.config_text() + extra)
        self.assertTrue(r.wait_for_log("domain added.example: rules=0", timeout=60), r.read_log()[-3000:])
        self.assertEqual(r.read_log().count("changed: reloading (server.reload_on_change)"), 1)
        # The same content again (a resync): looked at, not reloaded.
        publish("..v3", r.config_text() + extra)
        self.assertTrue(r.wait_for_log("touched, content unchanged: no reload", timeout=60), r.read_log()[-3000:])
        self.assertEqual(r.read_log().count("changed: reloading (server.reload_on_change)"), 1)

    def test_reload_quiet_waits_for_the_last_change(self):
        """[server] reload_quiet: each change starts the wait again; the file is read once it
        has passed without another change."""
        from harness import Hikyaku
        r = Hikyaku(self.workdir, server_extra='reload_on_change = true\nreload_quiet = "4s"\n')
        r.start()
        self.relays.append(r)
        self.assertTrue(r.wait_for_log("watching " + r.config_path), r.read_log())
        first = '\n[[domain]]\nname = "first.example"\ncatch_all = { action = "drop" }\n'
        second = '\n[[domain]]\nname = "second.example"\ncatch_all = { action = "drop" }\n'
        r.write_config(r.config_text() + first)
        time.sleep(1)  # the second change comes within the quiet time of the first
        r.write_config(r.config_text() + first + second)
        last_change = time.monotonic()
        self.assertTrue(r.wait_for_log("domain second.example: rules=0", timeout=60), r.read_log()[-3000:])
        self.assertGreaterEqual(time.monotonic() - last_change, 3.9)
        # One reload, of the last content.
        self.assertEqual(r.read_log().count("changed: reloading (server.reload_on_change)"), 1)


class SessionLog(RelayTestCase):
    """The log a postmaster greps: Postfix-style command counters and why a session ended, and
    every refusal with its reason."""

    def test_disconnect_counters_and_refusals(self):
        r = self.relay()
        c = SmtpClient(r.port)
        self.assertTrue(c.command("EHLO client.example").startswith("250"))
        self.assertTrue(c.command("MAIL FROM:<a@origin.example> FOO=1").startswith("555"))
        self.assertTrue(c.command("MAIL FROM:<a@origin.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<nobody@example.com>").startswith("550"))
        self.assertTrue(c.command("RCPT TO:<victim@elsewhere.example>").startswith("550"))
        self.assertTrue(c.command("QUIT").startswith("221"))
        c.close()
        self.assertTrue(r.wait_for_log("ehlo=1 mail=1/2 rcpt=0/2 quit=1 commands=3/6 (quit)", timeout=60),
                        r.read_log()[-2000:])
        log = r.read_log()
        self.assertRegex(log, r"reject: MAIL from \[127\.0\.0\.1\]: 555 5\.5\.4 ")
        self.assertIn("<nobody@example.com>", log)


if __name__ == "__main__":
    unittest.main()
