"""The inbound half end to end: `hikyaku serve` driven by swaks and raw sockets over IPv4 and
IPv6, with and without STARTTLS, pipelined and not (RFC 5321, RFC 2920, RFC 3207)."""
import os
import signal
import subprocess
import time
import unittest

from harness import (HIKYAKU, Hikyaku, RelayTestCase, SmtpClient, connect_until_greeted, free_port,
                     make_certificate, proc_status, spf_helper_pids, swaks)


class SwaksSessions(RelayTestCase):
    def test_ipv4_forward_rule_without_dns_is_deferred(self):
        r = self.relay()  # DNS points at a closed loopback port: every lookup fails temporarily
        code, out = swaks(r.port, "--from", "sender@origin.example", "--to", "info@example.com")
        self.assertRegex(out, r"<[-~]  250 2\.1\.5")
        # The sender's DMARC record is the first lookup to fail (RFC 9989 §5.3.6: temperror).
        self.assertIn("<** 451 4.7.5", out)
        self.assertRegex(r.read_log(), r"status=deferred")

    def test_ipv6_drop_rule_accepted_and_discarded(self):
        r = self.relay()
        code, out = swaks(r.port, "--server", "::1", "--from", "sender@origin.example",
                          "--to", "noreply@example.com")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"<[-~]  250 2\.0\.0 Ok: queued as \S+")
        self.assertNotIn("discard", out)  # answered like any accepted message (Postfix DISCARD)
        self.assertIn("client=[::1]", r.read_log())
        self.assertIn("status=discarded", r.read_log())

    def test_unknown_user_and_relay_denied(self):
        r = self.relay()
        _, out = swaks(r.port, "--to", "nobody@example.com", "--quit-after", "RCPT")
        self.assertIn("<** 550 5.1.1", out)
        _, out = swaks(r.port, "--to", "victim@gmail.example", "--quit-after", "RCPT")
        self.assertIn("<** 550 5.7.1", out)
        self.assertIn("Relay access denied", out)

    def test_reject_rule_uses_configured_reply(self):
        r = self.relay()
        _, out = swaks(r.port, "--to", "old@example.com", "--quit-after", "RCPT")
        self.assertIn("<** 550 5.1.6 This address has moved; write to info@example.com", out)

    def test_subaddress_and_case_route_to_rule(self):
        r = self.relay()
        _, out = swaks(r.port, "--to", "INFO+newsletter@EXAMPLE.com", "--quit-after", "RCPT")
        self.assertRegex(out, r"<[-~]  250 2\.1\.5")
        self.assertIn("rule info@example.com", r.read_log())

    def test_catch_all(self):
        r = self.relay()
        _, out = swaks(r.port, "--to", "anything@catchall.example", "--quit-after", "RCPT")
        self.assertRegex(out, r"<[-~]  250 2\.1\.5")

    def test_pipelined_session(self):
        r = self.relay()
        code, out = swaks(r.port, "--pipeline", "--to", "noreply@example.com")
        self.assertEqual(code, 0, out)
        self.assertIn("250 2.0.0 Ok", out)
        self.assertIn("PIPELINING", out)

    def test_starttls_then_mail_over_ipv4_and_ipv6(self):
        cert = make_certificate(self.workdir)
        r = self.relay(tls=cert)
        for server in ("127.0.0.1", "::1"):
            code, out = swaks(r.port, "--server", server, "-tls", "--to", "noreply@example.com")
            self.assertEqual(code, 0, out)
            self.assertIn("220 2.0.0 Ready to start TLS", out)
            self.assertIn("250 2.0.0 Ok", out)
        self.assertRegex(r.read_log(), r"TLS established with \[127\.0\.0\.1\]: TLSv1\.[23]")
        self.assertIn("tls=TLSv1", r.read_log())

    def test_starttls_pipelined(self):
        cert = make_certificate(self.workdir)
        r = self.relay(tls=cert)
        code, out = swaks(r.port, "-tls", "--pipeline", "--to", "noreply@example.com")
        self.assertEqual(code, 0, out)
        self.assertIn("250 2.0.0 Ok", out)

    def test_no_starttls_without_certificate(self):
        r = self.relay()
        c = SmtpClient(r.port)
        ehlo = c.command("EHLO client.example.org")
        self.assertNotIn("STARTTLS", ehlo)
        for ext in ("PIPELINING", "SIZE 26214400", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"):
            self.assertIn(ext, ehlo)
        self.assertTrue(c.command("STARTTLS").startswith("502"))
        c.close()


class RawSessions(RelayTestCase):
    def test_starttls_injection_is_discarded(self):
        """CVE-2011-0411: commands sent in plaintext with STARTTLS must not run after TLS."""
        import ssl
        cert = make_certificate(self.workdir)
        r = self.relay(tls=cert)
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        c.send("STARTTLS\r\nRSET\r\n")
        self.assertTrue(c.reply().startswith("220 2.0.0"))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        tls = ctx.wrap_socket(c.sock, server_hostname="localhost")
        tls.sendall(b"NOOP\r\n")
        first = tls.recv(4096).decode()
        # Only the NOOP's reply: the injected RSET produced nothing.
        self.assertEqual(first, "250 2.0.0 Ok\r\n")
        tls.sendall(b"MAIL FROM:<a@b.example>\r\n")
        self.assertTrue(tls.recv(4096).startswith(b"503 5.5.1"))  # EHLO again after TLS
        tls.close()

    def test_pipelined_group_answered_in_order(self):
        r = self.relay()
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        c.send("MAIL FROM:<s@origin.example>\r\nRCPT TO:<nobody@example.com>\r\n"
               "RCPT TO:<noreply@example.com>\r\nDATA\r\n")
        self.assertTrue(c.reply().startswith("250 2.1.0"))
        self.assertTrue(c.reply().startswith("550 5.1.1"))
        self.assertTrue(c.reply().startswith("250 2.1.5"))
        self.assertTrue(c.reply().startswith("354"))
        c.send("Subject: t\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        self.assertTrue(c.reply().startswith("250 2.0.0"))
        self.assertTrue(c.reply().startswith("221"))
        self.assertTrue(c.closed())

    def test_bare_lf_smuggling_refused(self):
        r = self.relay()
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        c.command("MAIL FROM:<s@origin.example>")
        c.command("RCPT TO:<noreply@example.com>")
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send("Subject: a\r\n\r\nbody\n.\nMAIL FROM:<evil@x.example>\r\n.\r\n")
        self.assertTrue(c.reply().startswith("550 5.6.11"))
        self.assertTrue(c.command("NOOP").startswith("250"))
        c.close()

    def test_long_line_at_the_boundary_with_a_stuffing_dot(self):
        """RFC 5321 §4.5.3.1.6: 1000 octets with CRLF, the stuffing dot not counted."""
        r = self.relay()
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        for length, code in ((999, "250"), (1000, "250"), (1001, "552 5.3.4")):
            c.command("MAIL FROM:<s@origin.example>")
            c.command("RCPT TO:<noreply@example.com>")
            self.assertTrue(c.command("DATA").startswith("354"))
            line = b"." + b"." * (length - 2) + b"\r\n"  # stuffed: one more dot on the wire
            c.send(b"Subject: a\r\n\r\n" + line + b"after\r\n.\r\n")
            reply = c.reply()
            self.assertTrue(reply.startswith(code), (length, reply))
        self.assertIn("longer than 1000 octets", reply)
        self.assertTrue(c.command("NOOP").startswith("250"))
        c.close()
        self.assertRegex(r.read_log(), r"reject: DATA from \[127\.0\.0\.1\]: 552 5\.3\.4 .*; message refused: "
                                       r"line 3 of the data has 1001 octets, over max_text_line 1000")

    def test_eight_bit_ehlo_refused(self):
        r = self.relay()
        c = SmtpClient(r.port)
        c.send(b"EHLO b\xc3\xbccher.example\r\n")
        self.assertTrue(c.reply().startswith("501 5.5.2"))
        c.send(b"HELO \xff\r\n")
        self.assertTrue(c.reply().startswith("501 5.5.2"))
        self.assertTrue(c.command("EHLO xn--bcher-kva.example").startswith("250-"))
        c.close()

    def test_idle_timeout_gives_421(self):
        r = self.relay(server_extra='command_timeout = "1s"')
        c = SmtpClient(r.port)
        start = time.time()
        self.assertTrue(c.reply().startswith("421 4.4.2"))
        self.assertGreaterEqual(time.time() - start, 0.9)
        self.assertTrue(c.closed())

    def test_connections_per_ip_limit(self):
        r = self.relay(server_extra="max_connections_per_ip = 2")
        a = SmtpClient(r.port)
        b = SmtpClient(r.port)
        self.assertTrue(a.banner.startswith("220") and b.banner.startswith("220"))
        third = SmtpClient(r.port)
        self.assertTrue(third.banner.startswith("421 4.7.0"), third.banner)
        self.assertTrue(third.closed())
        a.command("QUIT")
        a.close()
        # The slot is given back once the relay has seen the close: retry until it is.
        fourth, _ = connect_until_greeted(r.port)
        self.assertTrue(fourth.banner.startswith("220"), fourth.banner)

    def test_too_many_errors_closes(self):
        r = self.relay(server_extra="max_errors = 3")
        c = SmtpClient(r.port)
        self.assertTrue(c.command("BOGUS").startswith("500"))
        self.assertTrue(c.command("BOGUS").startswith("500"))
        third = c.command("BOGUS")
        self.assertTrue(third.startswith("500"), third)
        self.assertTrue(c.reply().startswith("421 4.7.0"))
        self.assertTrue(c.closed())


class ProxyProtocol(RelayTestCase):
    def test_v1_header_sets_client_ip(self):
        proxy_port = free_port()
        r = self.relay(proxy_port=proxy_port)
        c = SmtpClient(proxy_port, prefix=b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n")
        self.assertTrue(c.banner.startswith("220"))
        c.command("EHLO client.example.org")
        c.command("QUIT")
        self.assertTrue(r.wait_for_log("connect from [192.0.2.7]:40000"))

    def test_v2_header_ipv6(self):
        import ipaddress
        import struct
        proxy_port = free_port()
        r = self.relay(proxy_port=proxy_port)
        sig = b"\r\n\r\n\x00\r\nQUIT\n"
        addrs = (ipaddress.IPv6Address("2001:db8::25").packed + ipaddress.IPv6Address("2001:db8::1").packed
                 + struct.pack("!HH", 51000, 25))
        header = sig + bytes([0x21, 0x21]) + struct.pack("!H", len(addrs)) + addrs
        c = SmtpClient(proxy_port, prefix=header)
        self.assertTrue(c.banner.startswith("220"))
        c.command("QUIT")
        self.assertTrue(r.wait_for_log("connect from [2001:db8::25]:51000"))

    def test_proxy_listener_refuses_missing_header(self):
        proxy_port = free_port()
        r = self.relay(proxy_port=proxy_port)
        c = SmtpClient(proxy_port, read_banner=False)
        c.send("EHLO client.example.org\r\n")
        self.assertTrue(c.closed())
        self.assertTrue(r.wait_for_log("invalid PROXY header"))

    def test_plain_listener_treats_header_as_bad_command(self):
        r = self.relay()
        c = SmtpClient(r.port)
        self.assertTrue(c.command("PROXY TCP4 192.0.2.7 198.51.100.1 40000 25").startswith("500 5.5.2"))
        c.close()


class ReloadAndShutdown(RelayTestCase):
    NEW_RULE = '\n[[domain.rule]]\naddress = "fresh"\naction = "drop"\n'

    def test_sighup_reload_applies_to_new_sessions_only(self):
        r = self.relay()
        old = SmtpClient(r.port)
        old.command("EHLO client.example.org")
        old.command("MAIL FROM:<s@origin.example>")
        r.write_config(r.config_text().replace('address = "noreply"', 'address = "fresh"'))
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("reloaded"))
        # The session in progress keeps the rules it started with.
        self.assertTrue(old.command("RCPT TO:<noreply@example.com>").startswith("250"))
        self.assertTrue(old.command("RCPT TO:<fresh@example.com>").startswith("550 5.1.1"))
        new = SmtpClient(r.port)
        new.command("EHLO client.example.org")
        new.command("MAIL FROM:<s@origin.example>")
        self.assertTrue(new.command("RCPT TO:<fresh@example.com>").startswith("250"))
        self.assertTrue(new.command("RCPT TO:<noreply@example.com>").startswith("550 5.1.1"))

    def test_sighup_with_bad_file_keeps_old_config(self):
        r = self.relay()
        r.write_config("[server]\nlisten = [\n")
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("keeping the configuration in force"))
        _, out = swaks(r.port, "--to", "noreply@example.com")
        self.assertIn("250 2.0.0 Ok", out)

    def test_sigterm_lets_transaction_finish_then_421(self):
        r = self.relay(server_extra='shutdown_grace = "20s"')
        busy = SmtpClient(r.port)
        busy.command("EHLO client.example.org")
        busy.command("MAIL FROM:<s@origin.example>")
        busy.command("RCPT TO:<noreply@example.com>")
        idle = SmtpClient(r.port)
        r.signal(signal.SIGTERM)
        self.assertTrue(idle.reply().startswith("421 4.3.2"))
        self.assertTrue(idle.closed())
        self.assertTrue(busy.command("DATA").startswith("354"))
        self.assertTrue(busy.command("Subject: x\r\n\r\nbody\r\n.").startswith("250 2.0.0"))
        self.assertTrue(busy.reply().startswith("421 4.3.2"))
        self.assertEqual(r.proc.wait(timeout=20), 0)

    def test_sigterm_grace_expires(self):
        r = self.relay(server_extra='shutdown_grace = "1s"')
        busy = SmtpClient(r.port)
        busy.command("EHLO client.example.org")
        busy.command("MAIL FROM:<s@origin.example>")
        r.signal(signal.SIGTERM)
        start = time.time()
        self.assertTrue(busy.reply().startswith("421 4.3.2"))
        self.assertGreaterEqual(time.time() - start, 0.9)
        self.assertEqual(r.proc.wait(timeout=20), 0)


class Privileges(RelayTestCase):
    def test_drops_root_after_binding(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to show the switch to another user")
        import pwd
        daemon = pwd.getpwnam("daemon").pw_uid
        nobody = pwd.getpwnam("nobody").pw_uid
        os.chmod(self.workdir, 0o777)  # the spool is made by the service user
        r = self.relay(server_extra='user = "daemon"')
        self.assertEqual([int(u) for u in proc_status(r.proc.pid, "Uid")], [daemon] * 4)  # real, eff, saved, fs
        self.assertIn("running as user daemon", r.read_log())
        self.assertIn("SPF helpers run as user nobody", r.read_log())
        _, out = swaks(r.port, "--to", "noreply@example.com")
        self.assertIn("250 2.0.0 Ok", out)
        # SPF helpers start with the first check, after the relay dropped root; the launcher
        # started before that runs them as auth.spf_helper_user, never as the service user.
        swaks(r.port, "--from", "sender@origin.example", "--to", "info@example.com")
        helpers = spf_helper_pids(r.proc.pid)
        self.assertTrue(helpers, "no SPF helper was started")
        relay_net = os.readlink(f"/proc/{r.proc.pid}/ns/net")
        for pid in helpers:
            self.assertEqual([int(u) for u in proc_status(pid, "Uid")], [nobody] * 4)
            self.assertEqual(proc_status(pid, "Seccomp"), ["2"])  # a filter is installed
            self.assertEqual(proc_status(pid, "NoNewPrivs"), ["1"])
            self.assertNotEqual(os.readlink(f"/proc/{pid}/ns/net"), relay_net)
            fds = set(os.listdir(f"/proc/{pid}/fd"))
            self.assertIn("3", fds)  # its socket to the relay
            self.assertLessEqual(fds, {"2", "3"})  # and stderr at most

    def test_helper_user_must_differ_from_service_user(self):
        r = Hikyaku(self.workdir, server_extra='user = "nobody"\n')
        r.write_config(r.config_text() + '\n[auth]\nspf_helper_user = "nobody"\n')
        p = subprocess.run([HIKYAKU, "check", "-c", r.config_path], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("spf_helper_user must differ from server.user", p.stderr)


class CheckCommand(unittest.TestCase):
    def test_shipped_config_is_ok(self):
        root = os.path.join(os.path.dirname(__file__), "..", "..")
        p = subprocess.run([HIKYAKU, "check", "-c", os.path.join(root, "conf", "hikyaku.toml")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        # It runs on loopback as shipped; the one thing to change before real use is said.
        self.assertEqual(p.stdout.strip(), "configuration OK (1 warning(s))")
        self.assertIn('warning: server.hostname "localhost" is not a public host name', p.stderr)
        self.assertEqual(p.stderr.count("warning:"), 1, p.stderr)

    def test_warnings_name_their_line_and_exit_0(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[server]\nhostname = "mx.example.net"\n'
                    '[[domain]]\nname = "example.com"\n[[domain.rule]]\naddress = "postmaster"\n'
                    'forward = ["a@dest.example", "b@dest.example", "a@dest.example"]\n'
                    '[[domain]]\nname = "nothing.example"\n')
        try:
            p = subprocess.run([HIKYAKU, "check", "-c", f.name], capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "configuration OK (3 warning(s))")
        self.assertIn(f"{f.name}:5: warning: postmaster@example.com lists a@dest.example twice", p.stderr)
        self.assertIn(f"{f.name}:8: warning: domain nothing.example has no rule and no catch-all", p.stderr)
        self.assertIn(f"{f.name}:8: warning: postmaster@nothing.example is refused", p.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "needs root: a spool and key owned by root, checked for user nobody")
    def test_spool_and_key_the_service_user_cannot_use_are_errors(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o755)
            spool = os.path.join(d, "spool")
            os.mkdir(spool, 0o700)
            key = os.path.join(d, "k.pem")
            subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True,
                           capture_output=True)
            os.chmod(key, 0o600)
            conf = os.path.join(d, "h.toml")
            with open(conf, "w") as f:
                f.write('[server]\nhostname = "mx.example.net"\nuser = "nobody"\npostmaster = "o@dest.example"\n'
                        '[auth]\nspf_helper_user = "daemon"\n'
                        f'[queue]\ndirectory = "{spool}"\n'
                        f'[[dkim.key]]\ndomain = "fwd.example.net"\nselector = "s"\nalgorithm = "ed25519-sha256"\n'
                        f'private_key = "{key}"\n'
                        '[[domain]]\nname = "example.com"\ncatch_all = { action = "forward", to = ["o@dest.example"] }\n')
            check = subprocess.run([HIKYAKU, "check", "-c", conf], capture_output=True, text=True)
            self.assertEqual(check.returncode, 2, check.stdout + check.stderr)
            self.assertIn(f"queue.directory {spool}: user nobody cannot write to it (owner root, mode 0700)",
                          check.stderr)
            self.assertIn(f"dkim.key private_key {key}: user nobody cannot read it (owner root, mode 0600)",
                          check.stderr)
            serve = subprocess.run([HIKYAKU, "serve", "-c", conf], capture_output=True, text=True, timeout=60)
            self.assertEqual(serve.returncode, 2)
            self.assertIn("user nobody cannot write to it", serve.stderr)
            # Given to the service user, both are fine.
            nobody = __import__("pwd").getpwnam("nobody")
            os.chown(spool, nobody.pw_uid, nobody.pw_gid)
            os.chown(key, nobody.pw_uid, nobody.pw_gid)
            check = subprocess.run([HIKYAKU, "check", "-c", conf], capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stderr)

    def test_forwarding_loop_is_an_error(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[server]\nhostname = "mx.example.net"\npostmaster = "ops@dest.example"\n'
                    '[[domain]]\nname = "example.com"\n[[domain.rule]]\naddress = "a"\n'
                    'forward = ["a@example.com"]\n')
        try:
            p = subprocess.run([HIKYAKU, "check", "-c", f.name], capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{f.name}:6: forwarding loop through our own rules: a@example.com -> a@example.com",
                      p.stderr)

    def test_errors_as_file_line(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[server]\nlisten = ["127.0.0.1:2525"]\nbogus_key = 1\n'
                    '[[domain]]\nname = "example.com"\n[[domain.rule]]\naddress = "a"\n'
                    'forward = ["not an address"]\n')
        try:
            p = subprocess.run([HIKYAKU, "check", "-c", f.name], capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{f.name}:3:", p.stderr)
        self.assertIn(f"{f.name}:8:", p.stderr)
        self.assertNotIn("configuration OK", p.stdout)


class CheckKeys(unittest.TestCase):
    def test_unusable_dkim_key_reported_at_its_line(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bad.pem"), "w") as f:
                f.write("not a key\n")
            conf = os.path.join(d, "h.toml")
            with open(conf, "w") as f:
                f.write('[server]\nlisten = ["127.0.0.1:2525"]\n[[dkim.key]]\ndomain = "fwd.example.net"\n'
                        'selector = "s1"\nprivate_key = "bad.pem"\n')
            p = subprocess.run([HIKYAKU, "check", "-c", conf], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith(f"{conf}:3: dkim.key:"), p.stderr)
        self.assertIn("not a readable unencrypted PEM private key", p.stderr)


class SrsCommand(unittest.TestCase):
    def test_forward_then_reverse_round_trip(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "h.toml")
            with open(conf, "w") as f:
                f.write('[srs]\ndomain = "fwd.example.net"\nsecrets = ["k1"]\n')
            fwd = subprocess.run([HIKYAKU, "srs", "forward", "-c", conf, "alice@origin.example"],
                                 capture_output=True, text=True)
            self.assertEqual(fwd.returncode, 0, fwd.stderr)
            rewritten = fwd.stdout.strip()
            self.assertRegex(rewritten, r"^SRS0=[A-Za-z0-9_-]{6}=[A-Z2-7]{2}=origin\.example=alice@fwd\.example\.net$")
            rev = subprocess.run([HIKYAKU, "srs", "reverse", "-c", conf, rewritten],
                                 capture_output=True, text=True)
            self.assertEqual((rev.returncode, rev.stdout.strip()), (0, "alice@origin.example"))
            forged = rewritten.replace(rewritten[5:9], "AAAA" if rewritten[5:9] != "AAAA" else "BBBB")
            bad = subprocess.run([HIKYAKU, "srs", "reverse", "-c", conf, forged],
                                 capture_output=True, text=True)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("hash", bad.stderr)


class ArcCommand(unittest.TestCase):
    """`hikyaku arc verify --zone` judges a chain sealed by an independent signer (python3-dkim)."""

    def test_chain_sealed_by_dkimpy(self):
        import base64
        import tempfile
        import dkim
        with tempfile.TemporaryDirectory() as d:
            pem = os.path.join(d, "arc.pem")
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                            "rsa_keygen_bits:2048", "-out", pem], check=True, capture_output=True)
            der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                                 check=True, capture_output=True).stdout
            zone = os.path.join(d, "lists.zone")
            record = f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"
            strings = " ".join(f'"{record[i:i + 200]}"' for i in range(0, len(record), 200))
            with open(zone, "w") as f:  # RFC 1035: at most 255 octets per character-string
                f.write("$ORIGIN lists.example.org.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
                        f"arc1._domainkey IN TXT ( {strings} )\n")
            message = (b"Authentication-Results: lists.example.org; spf=pass smtp.mailfrom=origin.example\r\n"
                       b"From: a@origin.example\r\nTo: list@lists.example.org\r\nSubject: hi\r\n"
                       b"Message-ID: <1@origin.example>\r\n\r\nbody\r\n")
            with open(pem, "rb") as f:
                seal = dkim.arc_sign(message, b"arc1", b"lists.example.org", f.read(),
                                     b"lists.example.org", include_headers=[b"from", b"to", b"subject"])
            sealed = b"".join(seal) + message

            def verify(data):
                return subprocess.run([HIKYAKU, "arc", "verify", "--zone", zone], input=data,
                                      capture_output=True)

            ok = verify(sealed)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertEqual(ok.stdout.decode().strip(), "cv=pass instances=1 oldest-pass=0")
            bad = verify(sealed.replace(b"body\r\n", b"changed body\r\n"))
            self.assertEqual(bad.returncode, 1)
            self.assertTrue(bad.stdout.decode().startswith("cv=fail instances=1"), bad.stdout)
            none = verify(message)
            self.assertEqual(none.stdout.decode().strip(), "cv=none instances=0")

            # arc seal: our set on top of the list's (i=2, cv=pass), judged by python3-dkim.
            conf = os.path.join(d, "h.toml")
            with open(conf, "w") as f:
                f.write('[server]\nhostname = "mx.hikyaku.test"\nlisten = ["127.0.0.1:2525"]\n'
                        f'[arc]\nenabled = true\ndomain = "lists.example.org"\nselector = "arc1"\n'
                        f'private_key = "{pem}"\n')
            sealed2 = subprocess.run([HIKYAKU, "arc", "seal", "-c", conf, "--zone", zone],
                                     input=sealed, capture_output=True)
            self.assertEqual(sealed2.returncode, 0, sealed2.stderr)
            self.assertTrue(sealed2.stdout.endswith(sealed), "the message follows the new set unchanged")
            records = {"arc1._domainkey.lists.example.org.": record}
            cv, results, comment = dkim.arc_verify(
                sealed2.stdout, dnsfunc=lambda name, timeout=5: records.get(name.decode(), "").encode())
            self.assertEqual(cv, dkim.CV_Pass, comment)
            self.assertEqual(len(results), 2)
            self.assertEqual(verify(sealed2.stdout).stdout.decode().strip(), "cv=pass instances=2 oldest-pass=0")
            usage = subprocess.run([HIKYAKU, "arc", "verify"], input=sealed, capture_output=True)
            self.assertEqual(usage.returncode, 2)


if __name__ == "__main__":
    unittest.main()
