"""The command line as a postmaster meets it: verbs, -c before or after the verb, usage errors
with exit 2, addresses pasted with their angle brackets, the exit codes in --help."""
import os
import subprocess
import tempfile
import unittest

HIKYAKU = os.environ.get("HIKYAKU_BIN", "hikyaku")
SRS_CONFIG = '[srs]\ndomain = "fwd.example.net"\nsecrets = ["k1"]\n'


def run(*args, stdin=""):
    return subprocess.run([HIKYAKU, *args], input=stdin, capture_output=True, text=True, timeout=60)


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.conf = os.path.join(self.dir.name, "h.toml")
        with open(self.conf, "w") as f:
            f.write(SRS_CONFIG)

    def tearDown(self):
        self.dir.cleanup()

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


if __name__ == "__main__":
    unittest.main()
