"""Authentication and policy end to end (DESIGN §1 step 4): NSD serves the senders' SPF, DKIM and
DMARC records; clients present documentation-range addresses through a PROXY listener so SPF sees
real pass and fail cases (RFC 7208); messages are signed by an independent signer (python3-dkim,
RSA and Ed25519, RFC 6376 / RFC 8463); the verdicts arrive at an aiosmtpd sink in
Authentication-Results (RFC 8601), and DMARC p=reject is refused in the session (RFC 9989 §4.10.1, §7.2)."""
import base64
import os
import re
import subprocess
import tempfile
import time
import unittest

import dkim
import nacl.signing

from harness import HIKYAKU, RelayTestCase, SmtpClient, free_port, proc_status, spf_helper_pids
from nsd_harness import NsdServer
from sinks import AcceptingSink

AUTHSERV = "mx.hikyaku.test"  # the harness's server.hostname, the default authserv-id


def zone(origin, body):
    return (f"$ORIGIN {origin}.\n$TTL 60\n"
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
            f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + body)


def txt(text):
    """A TXT rdata in 200-octet strings (RFC 1035 §3.3.14: at most 255 per string)."""
    return "( " + " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200)) + " )"


def message(frm, subject="auth test", extra_headers=""):
    return (f"From: Alice <{frm}>\r\nTo: info@hikyaku.example\r\nSubject: {subject}\r\n"
            f"Date: Sun, 22 Nov 2026 18:00:00 +0000\r\nMessage-ID: <{time.time_ns()}@test>\r\n"
            + extra_headers + "\r\nHello from the auth test.\r\n").encode()


class Authentication(RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.TemporaryDirectory(prefix="hikyaku-auth-")
        pem = os.path.join(cls.keydir.name, "rsa.pem")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", pem, "2048"], check=True,
                       capture_output=True)
        with open(pem, "rb") as f:
            cls.rsa_key = f.read()
        der = subprocess.run(["openssl", "rsa", "-in", pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        rsa_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
        ed = nacl.signing.SigningKey.generate()
        cls.ed_key = base64.b64encode(bytes(ed))
        ed_record = "v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(ed.verify_key)).decode()
        keys = f"rsa._domainkey IN TXT {txt(rsa_record)}\ned._domainkey IN TXT {txt(ed_record)}\n"
        zones = {
            # SPF through an include chain (RFC 7208 §5.2), IPv4 and IPv6.
            "provider.example": zone("provider.example",
                                     '_spf IN TXT "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:1::/48 '
                                     'include:_spf2.provider.example -all"\n'
                                     '_spf2 IN TXT "v=spf1 ip4:198.51.100.7 -all"\n'),
            "reject.example": zone("reject.example",
                                   '@ IN TXT "v=spf1 include:_spf.provider.example -all"\n'
                                   '_dmarc IN TXT "v=DMARC1; p=reject"\n' + keys),
            "quarantine.example": zone("quarantine.example",
                                       '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'
                                       '_dmarc IN TXT "v=DMARC1; p=quarantine"\n'),
            "none.example": zone("none.example",
                                 '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'
                                 '_dmarc IN TXT "v=DMARC1; p=none"\n'),
            # libopendmarc 1.4.2 aligns d=x.example with From: paypal.example (research/deps.md §5).
            "paypal.example": zone("paypal.example",
                                   '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'
                                   '_dmarc IN TXT "v=DMARC1; p=reject"\n'),
            "x.example": zone("x.example", keys),
            # RFC 9989 §4.7 t=y: the policy one level below; pct= is no longer a tag (Appendix A.6).
            "testing.example": zone("testing.example", '_dmarc IN TXT "v=DMARC1; p=reject; t=y; pct=0"\n'),
            "lists.example": zone("lists.example", keys),
            "dest.example": zone("dest.example", "@ IN MX 10 mx\nmx IN A 127.0.0.1\n"),
        }
        cls.zones = zones
        cls.nsd = NsdServer(zones).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()
        cls.keydir.cleanup()

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.sink = AcceptingSink("127.0.0.1", self.port).start()

    def tearDown(self):
        self.sink.stop()
        super().tearDown()

    def start(self, auth="", domain_extra=""):
        self.proxy_port = free_port()
        rules = (f"\n[auth]\n{auth}\n[[domain]]\nname = \"hikyaku.example\"\n{domain_extra}\n"
                 "[[domain.rule]]\naddress = \"info\"\nforward = [\"user@dest.example\"]\n")
        return self.relay(dns=self.nsd.address, relay_port=self.port, proxy_port=self.proxy_port,
                          domains_extra=rules)

    def send(self, relay, data, client_ip="192.0.2.10", mail_from="alice@reject.example",
             helo="client.provider.example"):
        """Sends `data` through the PROXY listener as if from client_ip; the DATA reply."""
        family = "TCP6" if ":" in client_ip else "TCP4"
        local = "::1" if family == "TCP6" else "127.0.0.1"
        c = SmtpClient(self.proxy_port, prefix=f"PROXY {family} {client_ip} {local} 40000 25\r\n".encode())
        self.assertTrue(c.command(f"EHLO {helo}").startswith("250"))
        self.assertTrue(c.command(f"MAIL FROM:<{mail_from}>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<info@hikyaku.example>").startswith("250"))
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send(data + b".\r\n")
        reply = c.reply()
        c.command("QUIT")
        c.close()
        return reply

    def arrived_results(self):
        """Our Authentication-Results field of the one message the sink got, unfolded."""
        self.assertEqual(len(self.sink.messages), 1)
        data = self.sink.messages[0]["data"].decode()
        header = data.split("\r\n\r\n", 1)[0]
        fields = re.findall(r"^Authentication-Results:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", header,
                            re.M | re.I)
        ours = [re.sub(r"\s+", " ", f).strip() for f in fields if f.strip().lower().startswith(AUTHSERV)]
        self.assertEqual(len(ours), 1, header)
        return ours[0]

    def dkim_signed(self, data, domain, selector=b"rsa", algorithm=b"rsa-sha256"):
        key = self.rsa_key if algorithm == b"rsa-sha256" else self.ed_key
        sig = dkim.sign(data, selector, domain.encode(), key, signature_algorithm=algorithm,
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        return sig + data

    def test_spf_pass_through_include_chain_v4(self):
        r = self.start()
        reply = self.send(r, message("alice@reject.example"), client_ip="198.51.100.7")
        self.assertTrue(reply.startswith("250"), reply)
        results = self.arrived_results()
        self.assertIn("spf=pass", results)
        self.assertIn("smtp.mailfrom=alice@reject.example", results)
        self.assertIn("dmarc=pass", results)
        self.assertIn("header.from=reject.example", results)
        self.assertIn("dkim=none", results)

    def test_spf_pass_ipv6_client(self):
        r = self.start()
        reply = self.send(r, message("alice@reject.example"), client_ip="2001:db8:1::25")
        self.assertTrue(reply.startswith("250"), reply)
        self.assertIn("spf=pass", self.arrived_results())

    def test_reject_policy_refused_in_session(self):
        r = self.start()
        reply = self.send(r, message("alice@reject.example"), client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("550 5.7.1"), reply)
        self.assertIn("reject.example", reply)
        self.assertIn("p=reject", reply)
        # The refusal is decided (and logged) before anything is relayed: once the log says
        # so, nothing can reach the sink later.
        self.assertTrue(r.wait_for_log("dmarc=fail p=reject: refused"), r.read_log()[-3000:])
        self.assertEqual(self.sink.messages, [])

    def test_aligned_rsa_signature_passes_despite_spf_fail(self):
        r = self.start()
        data = self.dkim_signed(message("alice@reject.example"), "reject.example")
        reply = self.send(r, data, client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("250"), reply)
        results = self.arrived_results()
        self.assertIn("spf=fail", results)
        self.assertRegex(results, r"dkim=pass[^;]*header\.d=reject\.example")
        self.assertIn("header.s=rsa", results)
        self.assertIn("dmarc=pass", results)
        # The author's own signature still verifies at the destination.
        self.assertTrue(dkim.verify(self.sink.messages[0]["data"],
                                    dnsfunc=lambda name, timeout=5: self.nsd_txt(name)))

    def nsd_txt(self, name):
        out = subprocess.run(["dig", "+short", "-p", str(self.nsd.port), "@127.0.0.1", "TXT",
                              name.decode().rstrip(".")], capture_output=True, text=True).stdout
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', out)).encode()

    def test_aligned_ed25519_signature_passes(self):
        r = self.start()
        data = self.dkim_signed(message("alice@reject.example"), "reject.example", b"ed", b"ed25519-sha256")
        reply = self.send(r, data, client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("250"), reply)
        results = self.arrived_results()
        self.assertRegex(results, r"dkim=pass[^;]*header\.d=reject\.example")
        self.assertIn("header.s=ed", results)
        self.assertIn("dmarc=pass", results)

    def test_tampered_signature_fails_and_is_refused(self):
        r = self.start()
        data = self.dkim_signed(message("alice@reject.example"), "reject.example")
        data = data.replace(b"Hello from", b"Hullo from")
        reply = self.send(r, data, client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("550 5.7.1"), reply)
        self.assertIn("dkim=fail", r.read_log())

    def test_unaligned_signature_does_not_pass_dmarc(self):
        # d=x.example must not align with From: paypal.example (the libopendmarc 1.4.2 bug).
        r = self.start()
        data = self.dkim_signed(message("alice@paypal.example"), "x.example")
        reply = self.send(r, data, client_ip="203.0.113.5", mail_from="alice@paypal.example")
        self.assertTrue(reply.startswith("550 5.7.1"), reply)
        self.assertIn("paypal.example", reply)
        self.assertEqual(self.sink.messages, [])

    def test_quarantine_forwarded_with_result_recorded(self):
        r = self.start()
        reply = self.send(r, message("bob@quarantine.example"), client_ip="203.0.113.5",
                          mail_from="bob@quarantine.example")
        self.assertTrue(reply.startswith("250"), reply)
        results = self.arrived_results()
        self.assertIn("spf=fail", results)
        self.assertIn("dmarc=fail", results)
        self.assertIn("header.from=quarantine.example", results)

    def test_quarantine_rejected_when_configured(self):
        r = self.start(auth='quarantine = "reject"')
        reply = self.send(r, message("bob@quarantine.example"), client_ip="203.0.113.5",
                          mail_from="bob@quarantine.example")
        self.assertTrue(reply.startswith("550 5.7.1"), reply)
        self.assertIn("p=quarantine", reply)

    def test_none_policy_forwarded(self):
        r = self.start()
        reply = self.send(r, message("carol@none.example"), client_ip="203.0.113.5",
                          mail_from="carol@none.example")
        self.assertTrue(reply.startswith("250"), reply)
        self.assertIn("dmarc=fail", self.arrived_results())

    def test_domain_without_enforcement_accepts_reject_policy_failure(self):
        r = self.start(domain_extra="dmarc_enforce = false")
        reply = self.send(r, message("alice@reject.example"), client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("250"), reply)
        self.assertIn("dmarc=fail", self.arrived_results())
        self.assertIn("not enforced", r.read_log())

    def test_two_from_fields_refused(self):
        r = self.start()
        data = message("alice@reject.example", extra_headers="From: mallory@other.example\r\n")
        reply = self.send(r, data)
        self.assertTrue(reply.startswith("550 5.7.1"), reply)
        self.assertEqual(self.sink.messages, [])

    def test_forged_results_with_our_authserv_id_are_removed(self):
        r = self.start()
        forged = f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from=reject.example\r\n"
        other = "Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=x@y.example\r\n"
        reply = self.send(r, message("alice@reject.example", extra_headers=forged + other),
                          client_ip="198.51.100.7")
        self.assertTrue(reply.startswith("250"), reply)
        self.arrived_results()  # exactly one field with our authserv-id: ours
        data = self.sink.messages[0]["data"].decode()
        self.assertIn("mx.elsewhere.example; spf=pass", data)

    def arc_sealed_by_list(self, frm):
        """A message from `frm` as a mailing list at lists.example would pass it on: its own
        Authentication-Results saying dmarc=pass, then an ARC set (python3-dkim arc_sign)."""
        data = message(frm, extra_headers=
                       "Authentication-Results: lists.example; spf=pass smtp.mailfrom=" + frm +
                       "; dmarc=pass header.from=reject.example\r\n")
        arc = dkim.arc_sign(data, b"rsa", b"lists.example", self.rsa_key, b"lists.example",
                            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        return b"".join(arc) + data

    def test_trusted_arc_sealer_overrides_dmarc_fail(self):
        r = self.start(auth='trusted_arc_sealers = ["lists.example"]')
        reply = self.send(r, self.arc_sealed_by_list("alice@reject.example"), client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("250"), reply)
        results = self.arrived_results()
        self.assertIn("arc=pass", results)
        self.assertIn("dmarc=fail", results)
        self.assertIn("overridden by trusted ARC sealer lists.example (i=1)", r.read_log())

    def test_untrusted_arc_sealer_does_not_override(self):
        r = self.start()
        reply = self.send(r, self.arc_sealed_by_list("alice@reject.example"), client_ip="203.0.113.5")
        self.assertTrue(reply.startswith("550 5.7.1"), reply)

    def test_dmarc_temperror_defers(self):
        # NSD serves no zone for broken.example: the lookup fails (SERVFAIL), not NXDOMAIN.
        r = self.start()
        reply = self.send(r, message("dave@broken.example"), client_ip="192.0.2.10",
                          mail_from="dave@broken.example")
        self.assertTrue(reply.startswith("451 4.7.5"), reply)

    def test_relay_keeps_serving_when_spf_helpers_are_killed(self):
        r = self.start()
        # Helpers start with the first check (after the relay has dropped privileges).
        self.assertTrue(self.send(r, message("alice@reject.example"), client_ip="198.51.100.7").startswith("250"))
        self.sink.messages.clear()
        children = spf_helper_pids(r.proc.pid)
        self.assertTrue(children, "no SPF helper processes")
        for pid in children:
            os.kill(pid, 9)
        reply = self.send(r, message("alice@reject.example"), client_ip="198.51.100.7")
        self.assertTrue(reply.startswith("250"), reply + "\n" + r.read_log()[-3000:])
        self.assertIn("spf=pass", self.arrived_results())

    def test_spf_helpers_from_a_launcher_socket_run_as_its_user(self):
        """[auth] spf_launcher_socket, as deploy/systemd/hikyaku-spf.socket sets it up: a launcher
        started by someone else (here: this test, as nobody, the listening socket on its
        descriptor 3 as systemd passes it) gives the relay helpers that run as the launcher's
        user; a relay that goes away has its helpers killed, and the next one is served."""
        import pwd
        import socket as sockets
        nobody = pwd.getpwnam("nobody")
        path = os.path.join(self.workdir, "launcher.sock")
        listener = sockets.socket(sockets.AF_UNIX, sockets.SOCK_SEQPACKET)
        listener.bind(path)
        os.chmod(path, 0o600)
        listener.listen(8)
        fd = listener.fileno()

        def as_nobody():
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)

        launcher = subprocess.Popen(["/bin/sh", "-c", f'exec "$0" spf-launcher nobody 3<&{fd} {fd}<&-',
                                     os.path.abspath(HIKYAKU)], pass_fds=[fd], preexec_fn=as_nobody)
        listener.close()
        self.addCleanup(launcher.wait, 30)
        self.addCleanup(launcher.kill)
        for round_ in range(2):
            r = self.start(auth=f'spf_launcher_socket = "{path}"')
            self.assertTrue(r.wait_for_log(f"SPF helpers from the launcher at {path}"), r.read_log()[-3000:])
            reply = self.send(r, message("alice@reject.example"), client_ip="198.51.100.7")
            self.assertTrue(reply.startswith("250"), reply + "\n" + r.read_log()[-3000:])
            self.assertIn("spf=pass", self.arrived_results())
            self.sink.messages.clear()
            # The helpers are the launcher's children, as nobody; none is the relay's.
            helpers = spf_helper_pids(launcher.pid)
            self.assertTrue(helpers, "no SPF helper under the launcher")
            for pid in helpers:
                self.assertEqual(proc_status(pid, "Uid")[0], str(nobody.pw_uid))
            self.assertEqual(spf_helper_pids(r.proc.pid), [])
            self.assertEqual(r.stop(), 0)
            self.relays.remove(r)
            deadline = time.time() + 30
            while any(p in spf_helper_pids(launcher.pid) for p in helpers) and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual([p for p in spf_helper_pids(launcher.pid) if p in helpers], [])
            self.assertIsNone(launcher.poll())  # still there for the next relay

    def test_an_unreachable_launcher_socket_stops_the_start(self):
        path = os.path.join(self.workdir, "nobody-listens.sock")
        with self.assertRaises(RuntimeError) as e:
            self.start(auth=f'spf_launcher_socket = "{path}"')
        self.assertIn("cannot reach the SPF helper launcher at " + path, str(e.exception))


    # A spoof we must never vouch for: libspf2 passes loopback clients before reading a record,
    # so behind a local TCP proxy (every client 127.0.0.1) MAIL FROM and From at a p=reject
    # domain would pass SPF, align, and be sealed and signed by us. reject.example's SPF record
    # authorizes no loopback address.
    def spoof(self, client):
        """The spoofed message sent by `client` (a connected SmtpClient); the DATA reply."""
        self.assertTrue(client.command("EHLO client.provider.example").startswith("250"))
        self.assertTrue(client.command("MAIL FROM:<ceo@reject.example>").startswith("250"))
        self.assertTrue(client.command("RCPT TO:<info@hikyaku.example>").startswith("250"))
        self.assertTrue(client.command("DATA").startswith("354"))
        client.send(message("ceo@reject.example", subject="wire the money") + b".\r\n")
        reply = client.reply()
        client.command("QUIT")
        client.close()
        return reply

    def test_loopback_client_on_plain_listener_gets_no_spf_pass(self):
        r = self.start()
        reply = self.spoof(SmtpClient(r.port))
        # The refusal is decided before anything is relayed: nothing can reach the sink later.
        self.assertTrue(reply.startswith("550 5.7.1"), reply)
        self.assertEqual(self.sink.messages, [])
        log = r.read_log()
        self.assertIn("auth spf=none (smtp.mailfrom=ceo@reject.example: client 127.0.0.1 is a local "
                      "address: SPF not checked)", log)
        self.assertIn("dmarc=fail p=reject: refused", log)
        self.assertNotIn("spf=pass", log)

    def test_trusted_proxy_claiming_loopback_gets_no_spf_pass(self):
        r = self.start()
        for header in (b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 25\r\n",
                       b"PROXY TCP6 ::ffff:127.0.0.1 ::1 40001 25\r\n",
                       b"PROXY TCP6 ::1 ::1 40002 25\r\n"):
            reply = self.spoof(SmtpClient(self.proxy_port, prefix=header))
            self.assertTrue(reply.startswith("550 5.7.1"), (header, reply))
        self.assertEqual(self.sink.messages, [])
        log = r.read_log()
        # The v4-mapped claim is canonicalised before SPF, DNSBL and the limits see it.
        self.assertIn("connect from [127.0.0.1]:40001 via [127.0.0.1]", log)
        self.assertNotIn("::ffff:", log)
        self.assertNotIn("spf=pass", log)

    def test_untrusted_peer_cannot_claim_an_address(self):
        # 198.51.100.7 is authorized by reject.example's SPF (through the include chain): a
        # header claiming it from a peer that is no trusted proxy must never be believed.
        proxy_port = free_port()
        rules = ("\n[[domain]]\nname = \"hikyaku.example\"\n"
                 "[[domain.rule]]\naddress = \"info\"\nforward = [\"user@dest.example\"]\n")
        r = self.relay(dns=self.nsd.address, relay_port=self.port, proxy_port=proxy_port,
                       domains_extra=rules, trusted_proxies=["192.0.2.1", "2001:db8::/32"])
        c = SmtpClient(proxy_port, prefix=b"PROXY TCP4 198.51.100.7 127.0.0.1 40000 25\r\n",
                       read_banner=False)
        self.assertTrue(c.closed())
        self.assertTrue(r.wait_for_log("to a PROXY listener: not in server.trusted_proxies"))
        self.assertNotIn("connect from [198.51.100.7]", r.read_log())
        # The same header from a trusted peer is believed (the proof that the refusal is about
        # the peer, not the header).
        r2 = self.start()
        reply = self.send(r2, message("ceo@reject.example"), client_ip="198.51.100.7",
                          mail_from="ceo@reject.example")
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(self.sink.messages), 1)


class AuthCommand(RelayTestCase):
    """`hikyaku auth`: what the relay would decide, for a postmaster asking why (DESIGN §4)."""
    setUpClass = classmethod(Authentication.setUpClass.__func__)
    tearDownClass = classmethod(Authentication.tearDownClass.__func__)
    dkim_signed = Authentication.dkim_signed

    def auth(self, data, *args):
        return subprocess.run([HIKYAKU, "auth", *args], input=data, capture_output=True, timeout=120)

    def test_refusal_explained_with_dns_server(self):
        p = self.auth(message("alice@reject.example"), "--dns", self.nsd.address, "--ip", "203.0.113.5",
                      "--helo", "client.provider.example", "--mail-from", "alice@reject.example")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 1, out + p.stderr.decode())
        self.assertTrue(out.startswith("Authentication-Results: "), out)
        self.assertIn("spf=fail", out)
        self.assertIn("dmarc=fail", out)
        self.assertIn("DMARC: fail from=reject.example policy=reject disposition=reject", out)
        self.assertIn("Action: refuse: 550 5.7.1", out)

    def test_policy_domain_from_the_tree_walk(self):
        # news.reject.example has no record: the DNS tree walk (RFC 9989 §4.10.1) finds
        # reject.example's, which the header and the verb name as the policy domain.
        p = self.auth(message("alice@news.reject.example"), "--dns", self.nsd.address, "--ip", "203.0.113.5",
                      "--helo", "client.provider.example", "--mail-from", "alice@reject.example")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 1, out + p.stderr.decode())
        self.assertIn("policy domain reject.example (organizational domain)", out)
        self.assertIn("header.from=news.reject.example", out)
        self.assertIn("policy.dmarc=reject", out)
        self.assertIn("DMARC policy domain: reject.example (organizational domain's record, p=); "
                      "organizational domain reject.example", out)

    def test_testing_mode_applies_the_policy_one_level_below(self):
        p = self.auth(message("alice@testing.example"), "--dns", self.nsd.address, "--ip", "203.0.113.5",
                      "--helo", "client.provider.example", "--mail-from", "alice@testing.example")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())  # quarantine is forwarded
        self.assertIn("DMARC: fail from=testing.example policy=reject disposition=quarantine (t=y testing)", out)
        self.assertIn("policy.dmarc=quarantine", out)
        self.assertIn("DMARC record: pct=0 ignored", out)

    def test_pass_from_zone_files_with_lf_message(self):
        files = []
        for name in ("reject.example", "provider.example"):
            path = os.path.join(self.workdir, name + ".zone")
            with open(path, "w") as f:
                f.write(self.zones[name])
            files += ["--zone", path]
        data = self.dkim_signed(message("alice@reject.example"), "reject.example").replace(b"\r\n", b"\n")
        p = self.auth(data, *files, "--ip", "2001:db8:1::25", "--helo", "client.provider.example",
                      "--mail-from", "alice@reject.example")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        self.assertIn("spf=pass", out)
        self.assertIn("dkim=pass", out)
        self.assertIn("DMARC: pass from=reject.example", out)
        self.assertIn("Action: accept", out)

    def test_loopback_ip_is_no_spf_pass(self):
        p = self.auth(message("alice@reject.example"), "--dns", self.nsd.address, "--ip", "127.0.0.1",
                      "--helo", "client.provider.example", "--mail-from", "alice@reject.example")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 1, out + p.stderr.decode())
        self.assertIn("spf=none", out)
        self.assertIn("Action: refuse: 550 5.7.1", out)

    def test_usage_errors_exit_2(self):
        p = self.auth(b"", "--ip", "192.0.2.1", "--helo", "x", "--mail-from", "<>")
        self.assertEqual(p.returncode, 2)  # neither --zone nor --dns
        p = self.auth(b"", "--zone", "/nonexistent.zone", "--ip", "192.0.2.1", "--helo", "x", "--mail-from", "<>")
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
