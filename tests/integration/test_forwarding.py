"""Forwarding end to end with real peers: NSD serves the destination domains' DNS, aiosmtpd
(and scripted asyncio servers) are the destination MXes on loopback addresses, swaks and raw
sockets send. RFC 5321 §5.1 (MX order, implicit MX, IPv6 then IPv4), RFC 7505 (null MX),
DESIGN §1 step 7 (the one reply to DATA)."""
import os
import re
import time
import unittest

from harness import RelayTestCase, SmtpClient, free_port, swaks
from nsd_harness import NsdServer
from sinks import (AcceptingSink, BlackholeListener, BrokenTlsSink, DroppingSink, PermFailSink,
                   SelfNamedSink, StallingSink, TempFailSink)

ZONE = """$ORIGIN dest.example.
$TTL 60
@        IN SOA ns.dest.example. hostmaster.dest.example. 1 3600 600 86400 60
@        IN NS  ns.dest.example.
ns       IN A   127.0.0.1
v6       IN MX  10 mx.v6
mx.v6    IN AAAA ::1
fallback IN MX  10 mx.fallback
mx.fallback IN AAAA ::1
mx.fallback IN A 127.0.0.2
prio     IN MX  10 mx1.prio
prio     IN MX  20 mx2.prio
mx1.prio IN A   127.0.0.3
mx2.prio IN A   127.0.0.4
spread   IN MX  10 a.spread
spread   IN MX  10 b.spread
a.spread IN A   127.0.0.5
b.spread IN A   127.0.0.6
implicit IN A   127.0.0.7
nullmx   IN MX  0 .
perm     IN MX  10 mx.perm
mx.perm  IN A   127.0.0.8
temp     IN MX  10 mx.temp
mx.temp  IN A   127.0.0.9
drop     IN MX  10 mx.drop
mx.drop  IN A   127.0.0.10
stall    IN MX  10 mx.stall
mx.stall IN A   127.0.0.12
slow     IN MX  10 mx.slow
mx.slow  IN A   127.0.0.13
hop      IN MX  10 mx.hop
mx.hop   IN A   127.0.0.14
alias    IN MX  10 cname.alias
cname.alias IN CNAME real.alias
real.alias  IN A 127.0.0.11
tlsfail  IN MX  10 mx.tlsfail
mx.tlsfail IN A 127.0.0.15
looped   IN MX  10 mx.looped
mx.looped IN A  127.0.0.16
"""

# The senders' domain: no SPF, DKIM key or DMARC record (DMARC none), but an answer, not a
# lookup failure (which would be a DMARC temperror and a 451).
ORIGIN_ZONE = """$ORIGIN origin.example.
$TTL 60
@        IN SOA ns.origin.example. hostmaster.origin.example. 1 3600 600 86400 60
@        IN NS  ns.origin.example.
ns       IN A   127.0.0.1
"""

BL_ZONE = """$ORIGIN bl.example.
$TTL 60
@        IN SOA ns.bl.example. hostmaster.bl.example. 1 3600 600 86400 60
@        IN NS  ns.bl.example.
ns       IN A   127.0.0.1
7.2.0.192 IN A  127.0.0.2
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 IN A 127.0.0.4
"""

RULES = """
[[domain]]
name = "hikyaku.example"
""" + "".join(f"""[[domain.rule]]
address = "{name}"
forward = ["user@{name}.dest.example"]
""" for name in ("v6", "fallback", "prio", "spread", "implicit", "nullmx", "perm", "temp",
                 "drop", "alias", "stall", "slow", "hop", "tlsfail", "looped")) + """[[domain.rule]]
address = "nodns"
forward = ["user@unserved.example"]
[[domain.rule]]
address = "two"
forward = ["a@v6.dest.example", "b@implicit.dest.example"]
"""

MESSAGE = ("From: Sender <sender@origin.example>\r\nTo: someone@hikyaku.example\r\n"
           "Subject: forwarding test\r\nMessage-ID: <m1@origin.example>\r\n\r\n"
           "Hello.\r\n.A line that starts with a dot.\r\n")


def send(relay, rcpts, data=MESSAGE, sender="sender@origin.example", mail_params=""):
    """Sends one message with a raw client; returns (list of RCPT replies, DATA reply).
    mail_params: MAIL FROM parameters, e.g. " SMTPUTF8 BODY=8BITMIME"."""
    c = SmtpClient(relay.port)
    c.command("EHLO client.example.org")
    assert c.command(f"MAIL FROM:<{sender}>{mail_params}").startswith("250")
    rcpt_replies = [c.command(f"RCPT TO:<{r}>") for r in rcpts]
    if not any(r.startswith("250") for r in rcpt_replies):
        c.close()
        return rcpt_replies, None
    assert c.command("DATA").startswith("354")
    stuffed = "".join("." + line if line.startswith(".") else line
                      for line in data.splitlines(keepends=True))
    c.send(stuffed + ".\r\n")
    reply = c.reply()
    c.command("QUIT")
    c.close()
    return rcpt_replies, reply


SRS = """
[srs]
domain = "fwd.hikyaku.example"
secrets = ["current-secret", "previous-secret"]
"""


class Forwarding(RelayTestCase):
    @classmethod
    def setUpClass(cls):
        import base64
        import subprocess
        import tempfile
        # The ARC sealing key of the forwarding domain, published in the zone NSD serves.
        cls.keydir = tempfile.TemporaryDirectory(prefix="hikyaku-arc-")
        cls.arc_pem = os.path.join(cls.keydir.name, "arc.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", cls.arc_pem], check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", cls.arc_pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        cls.arc_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
        strings = " ".join(f'"{cls.arc_record[i:i + 200]}"' for i in range(0, len(cls.arc_record), 200))
        zone = (ZONE + f"arc26._domainkey.fwd IN TXT ( {strings} )\n"
                # SPF of the forwarding (SRS) domain: the relay's egress addresses here.
                + 'fwd IN TXT "v=spf1 ip4:127.0.0.1 ip6:::1 -all"\n')
        cls.nsd = NsdServer({"dest.example": zone, "bl.example": BL_ZONE, "origin.example": ORIGIN_ZONE}).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()
        cls.keydir.cleanup()

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.sinks = []

    def tearDown(self):
        for s in self.sinks:
            s.stop()
        super().tearDown()

    def sink(self, cls, host):
        s = cls(host, self.port).start()
        self.sinks.append(s)
        return s

    def start(self, srs=False, **kwargs):
        return self.relay(dns=self.nsd.address, relay_port=self.port,
                          domains_extra=(SRS if srs else "") + RULES, **kwargs)

    def assert_arrived_intact(self, sink, index=0):
        """The message arrives byte for byte, with only our Authentication-Results: and
        Received: fields prepended."""
        data = sink.messages[index]["data"].decode()
        results = re.match(r"Authentication-Results: mx\.hikyaku\.test;[^\r\n]*(\r\n[ \t][^\r\n]*)*\r\n", data)
        self.assertIsNotNone(results, data[:300])
        received, _, rest = data[results.end():].partition("\r\nFrom: ")
        self.assertTrue(received.startswith("Received: from client.example.org (unknown [127.0.0.1])"),
                        data[:300])
        self.assertIn("by mx.hikyaku.test (Hikyaku) with ESMTP id", received)
        self.assertEqual("From: " + rest, MESSAGE)

    def test_ipv6_delivery(self):
        sink = self.sink(AcceptingSink, "::1")
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example"])
        self.assertTrue(reply.startswith("250 2.0.0 Ok:"), reply)
        self.assertIn("queued as Q", reply)  # the upstream's queue id is cited
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(sink.messages[0]["rcpt_tos"], ["user@v6.dest.example"])
        self.assertEqual(sink.messages[0]["mail_from"], "sender@origin.example")
        self.assert_arrived_intact(sink)
        self.assertRegex(r.read_log(), r"relay=mx\.v6\.dest\.example\[::1\]:\d+ ")

    def test_failed_starttls_handshake_is_retried_in_the_clear(self):
        """Opportunistic TLS (RFC 7435 §3, Postfix smtp_tls_security_level = may): a broken
        handshake is followed by a plaintext delivery to the same host."""
        sink = self.sink(BrokenTlsSink, "127.0.0.15")
        r = self.start()
        _, reply = send(r, ["tlsfail@hikyaku.example"])
        self.assertTrue(reply.startswith("250 2.0.0 Ok:"), reply)
        self.assertIn("queued as P1", reply)
        self.assertEqual(sink.handshakes_broken, 1)
        self.assertEqual(sink.connections, 2)
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(sink.messages[0]["rcpt_tos"], [b"<user@tlsfail.dest.example>"])
        # The second connection never asked for TLS again.
        self.assertEqual(sink.commands.count("STARTTLS"), 1)
        self.assertRegex(r.read_log(), r"relay=mx\.tlsfail\.dest\.example\[127\.0\.0\.15\]:\d+ delays=[\d.]+/0/[\d.]+/[\d.]+ tls=no")

    def test_upstream_greeting_with_our_name_is_a_loop(self):
        """RFC 5321 §5.1: the only MX greets as mx.hikyaku.test, our hostname: 554 5.4.6."""
        sink = self.sink(lambda host, port: SelfNamedSink(host, port, "mx.hikyaku.test"), "127.0.0.16")
        r = self.start()
        _, reply = send(r, ["looped@hikyaku.example"])
        self.assertTrue(reply.startswith("554 5.4.6"), reply)
        self.assertIn("mail for looped.dest.example loops back to myself", reply)
        self.assertEqual(sink.messages, [])
        self.assertNotIn("MAIL FROM", " ".join(sink.commands))

    def test_ipv6_refused_falls_back_to_ipv4(self):
        sink = self.sink(AcceptingSink, "127.0.0.2")  # nothing listens on [::1]
        r = self.start()
        _, reply = send(r, ["fallback@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assert_arrived_intact(sink)

    def test_ipv6_stalled_past_connect_timeout_falls_back_to_ipv4(self):
        hole = BlackholeListener("::1", self.port)
        try:
            sink = self.sink(AcceptingSink, "127.0.0.2")
            r = self.start(connect_timeout="1s")
            start = time.time()
            _, reply = send(r, ["fallback@hikyaku.example"])
            elapsed = time.time() - start
        finally:
            hole.close()
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertGreaterEqual(elapsed, 0.9)  # it waited for the connect timeout first

    def test_mx_priority_fallback(self):
        sink = self.sink(AcceptingSink, "127.0.0.4")  # the preference-10 host is down
        r = self.start()
        _, reply = send(r, ["prio@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("tried mx1.prio.dest.example", r.read_log())

    def test_equal_preference_spread(self):
        a = self.sink(AcceptingSink, "127.0.0.5")
        b = self.sink(AcceptingSink, "127.0.0.6")
        r = self.start()
        for _ in range(24):
            _, reply = send(r, ["spread@hikyaku.example"])
            self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(a.messages) + len(b.messages), 24)
        # Random order among equal preferences: both hosts see mail (p of failure 2^-23).
        self.assertGreater(len(a.messages), 0)
        self.assertGreater(len(b.messages), 0)

    def test_implicit_mx(self):
        sink = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start()
        _, reply = send(r, ["implicit@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)

    def test_mx_target_cname_followed_and_logged(self):
        sink = self.sink(AcceptingSink, "127.0.0.11")
        r = self.start()
        _, reply = send(r, ["alias@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("is a CNAME", r.read_log())

    def test_null_mx_refused_in_session(self):
        r = self.start()
        _, reply = send(r, ["nullmx@hikyaku.example"])
        self.assertTrue(reply.startswith("556 5.1.10"), reply)

    def test_upstream_5xx_passed_back(self):
        self.sink(PermFailSink, "127.0.0.8")
        r = self.start()
        _, reply = send(r, ["perm@hikyaku.example"])
        self.assertTrue(reply.startswith("550 5.1.1 mx.perm.dest.example said: 550"), reply)
        self.assertIn("User unknown", reply)
        # The upstream echoed the private forwarding target: the sender sees its own address.
        self.assertIn("<perm@hikyaku.example>: Recipient address rejected", reply)
        self.assertNotIn("user@perm.dest.example", reply)
        self.assertIn("user@perm.dest.example", r.read_log())  # the log keeps the real target

    def test_upstream_4xx_gives_451(self):
        self.sink(TempFailSink, "127.0.0.9")
        r = self.start()
        _, reply = send(r, ["temp@hikyaku.example"])
        self.assertTrue(reply.startswith("451 4.2.1"), reply)
        self.assertIn("mx.temp.dest.example said: 450", reply)

    def test_dns_failure_reply_names_the_domain_not_the_resolver_internals(self):
        """A destination whose MX lookup fails (NSD serves no such zone): the sender reads a
        short cause with the domain; the answer's details (TTL, records) stay in the log."""
        r = self.start()
        _, reply = send(r, ["nodns@hikyaku.example"])
        self.assertTrue(reply.startswith("451 4.4.3"), reply)
        self.assertIn("DNS lookup of MX for unserved.example failed: server replied", reply)
        self.assertNotIn("ttl=", reply)
        self.assertNotIn("another question", reply)
        self.assertTrue(r.wait_for_log("MX lookup for unserved.example failed: unserved.example MX SERVFAIL ttl="),
                        r.read_log()[-3000:])

    def test_two_destination_domains(self):
        v6 = self.sink(AcceptingSink, "::1")
        v4 = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example", "implicit@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual([m["rcpt_tos"] for m in v6.messages], [["user@v6.dest.example"]])
        self.assertEqual([m["rcpt_tos"] for m in v4.messages], [["user@implicit.dest.example"]])
        self.assert_arrived_intact(v6)
        self.assert_arrived_intact(v4)

    def test_one_destination_refusing_does_not_hold_back_the_other(self):
        """The accepting destination holds its final dot until the other has answered; that one
        refuses, so the accepting one commits in the session (test_queue covers the DSN) and
        the sender gets 250."""
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(PermFailSink, "127.0.0.8")
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example", "perm@hikyaku.example"])
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertIn("1 recipient(s) refused", reply)
        self.assertEqual([m["rcpt_tos"] for m in v6.messages], [["user@v6.dest.example"]])

    def test_multi_destination_rule(self):
        v6 = self.sink(AcceptingSink, "::1")
        v4 = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start()
        code, out = swaks(r.port, "--from", "sender@origin.example", "--to", "two@hikyaku.example")
        self.assertEqual(code, 0, out)
        self.assertEqual([m["rcpt_tos"] for m in v6.messages], [["a@v6.dest.example"]])
        self.assertEqual([m["rcpt_tos"] for m in v4.messages], [["b@implicit.dest.example"]])

    def test_dropped_connection_mid_data_gives_451(self):
        sink = self.sink(DroppingSink, "127.0.0.10")
        r = self.start()
        _, reply = send(r, ["drop@hikyaku.example"], data=MESSAGE + ("x" * 70 + "\r\n") * 40)
        self.assertTrue(reply.startswith("451"), reply)
        self.assertGreater(sink.bytes_after_data, 0)  # it really was mid-DATA
        self.assertNotRegex(r.read_log(), r"status=sent")

    def test_ipv4_only_destination_skips_ipv6(self):
        v6 = self.sink(AcceptingSink, "::1")
        v4 = self.sink(AcceptingSink, "127.0.0.2")
        r = self.start(relay_extra='ipv4_only = ["fallback.dest.example"]')
        _, reply = send(r, ["fallback@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(v4.messages), 1)
        self.assertEqual(v6.messages, [])

    def test_upstream_starttls_is_used_when_offered(self):
        import ssl
        from harness import make_certificate
        cert, key = make_certificate(self.workdir, "mx.v6.dest.example")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        sink = AcceptingSink("::1", self.port, tls_context=ctx).start()
        self.sinks.append(sink)
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertTrue(sink.messages[0]["tls"])
        self.assertRegex(r.read_log(), r"relay=mx\.v6\.dest\.example\S* delays=[\d./]+ tls=TLSv1\.[23]")

    def test_upstream_connection_is_reused(self):
        sink = self.sink(AcceptingSink, "::1")
        r = self.start()
        for _ in range(3):
            _, reply = send(r, ["v6@hikyaku.example"])
            self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 3)
        log = r.read_log()
        self.assertEqual(log.count("reused=no"), 1, log)
        self.assertEqual(log.count("reused=yes"), 2, log)

    def test_upstream_stalling_after_the_dot_gives_451(self):
        sink = self.sink(StallingSink, "127.0.0.12")
        r = self.start(relay_extra='final_reply_timeout = "2s"')
        start = time.time()
        _, reply = send(r, ["stall@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertGreaterEqual(time.time() - start, 1.9)
        self.assertGreater(sink.bytes_after_data, 0)
        log = r.read_log()
        self.assertIn("maybe_delivered=yes", log)  # RFC 1047: a retry may duplicate it
        self.assertNotIn("status=sent", log)

    def test_srs_rewrites_sender_and_bounce_returns_to_original_sender(self):
        v6 = self.sink(AcceptingSink, "::1")
        origin = self.sink(AcceptingSink, "127.0.0.7")  # implicit.dest.example: the author's MX
        r = self.start(srs=True)
        _, reply = send(r, ["v6@hikyaku.example"], sender="author@implicit.dest.example")
        self.assertTrue(reply.startswith("250"), reply)
        srs_sender = v6.messages[0]["mail_from"]
        self.assertRegex(srs_sender, r"^SRS0=[A-Za-z0-9_-]{6}=[A-Z2-7]{2}=implicit\.dest\.example="
                                     r"author@fwd\.hikyaku\.example$")
        # The destination bounces the message to the SRS address: it reaches the author.
        rcpts, bounce = send(r, [srs_sender], sender="")
        self.assertTrue(rcpts[0].startswith("250"), rcpts)
        self.assertTrue(bounce.startswith("250"), bounce)
        self.assertEqual(origin.messages[0]["rcpt_tos"], ["author@implicit.dest.example"])
        self.assertEqual(origin.messages[0]["mail_from"], "<>")  # the null sender stays null
        # [srs] bounces_only (default true): anyone else replaying the address is refused.
        rcpts, _ = send(r, [srs_sender], sender="replayer@origin.example")
        self.assertTrue(rcpts[0].startswith("550 5.7.1"), rcpts)
        self.assertEqual(len(origin.messages), 1)

    def test_failed_srs_reversals_are_throttled_per_client_at_the_limit(self):
        """[srs] max_failed_reversals = 3: after 2 failed reversals a good SRS address still
        reverses; after the 3rd, every RCPT to an SRS address from that client gets 450 4.7.1
        (the good one too), while its other recipients are not affected."""
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(AcceptingSink, "127.0.0.7")
        r = self.relay(dns=self.nsd.address, relay_port=self.port,
                       domains_extra=SRS + "max_failed_reversals = 3\n" + RULES)
        send(r, ["v6@hikyaku.example"], sender="author@implicit.dest.example")
        good = v6.messages[0]["mail_from"]
        forged = ["SRS0=AbCdEf=AA=implicit.dest.example=n%d@fwd.hikyaku.example" % i for i in range(3)]
        c = SmtpClient(r.port)
        c.command("EHLO bounces.example.org")
        self.assertTrue(c.command("MAIL FROM:<>").startswith("250"))
        replies = [c.command("RCPT TO:<%s>" % a) for a in (forged[0], forged[1], good, forged[2], good)]
        replies.append(c.command("RCPT TO:<v6@hikyaku.example>"))
        c.command("QUIT")
        c.close()
        self.assertTrue(replies[0].startswith("550 5.1.1"), replies)
        self.assertTrue(replies[1].startswith("550 5.1.1"), replies)
        self.assertTrue(replies[2].startswith("250"), replies)        # N-1 failures: still reversed
        self.assertTrue(replies[3].startswith("550 5.1.1"), replies)  # the Nth failure
        self.assertTrue(replies[4].startswith("450 4.7.1"), replies)  # past N: refused, good or not
        self.assertTrue(replies[5].startswith("250"), replies)        # other recipients unaffected
        self.assertIn("failed SRS reversals from 127.0.0.1", r.read_log())

    def test_forged_or_unknown_srs_address_is_refused_never_relayed(self):
        origin = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start(srs=True)
        forged = "SRS0=AbCd=AA=implicit.dest.example=author@fwd.hikyaku.example"
        rcpts, _ = send(r, [forged, "plain@fwd.hikyaku.example"], sender="")
        self.assertTrue(rcpts[0].startswith("550 5.1.1"), rcpts)
        self.assertTrue(rcpts[1].startswith("550 5.1.1"), rcpts)
        self.assertEqual(origin.messages, [])

    def test_dkim_signatures_verify_at_the_destination(self):
        """Signed with RSA and Ed25519 as the forwarding domain; an independent verifier
        (python3-dkim) accepts both, and the author's own signature survives forwarding."""
        import base64
        import subprocess
        import dkim
        keys = {}
        for sel, alg in (("rsa26", "rsa"), ("ed26", "ed25519")):
            pem = f"{self.workdir}/{sel}.pem"
            args = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] if alg == "rsa" else \
                   ["-algorithm", "ED25519"]
            subprocess.run(["openssl", "genpkey", *args, "-out", pem], check=True, capture_output=True)
            der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                                 check=True, capture_output=True).stdout
            p = base64.b64encode(der if alg == "rsa" else der[-32:]).decode()
            keys[sel] = (pem, f"v=DKIM1; k={alg}; p={p}")
        dkim_conf = "".join(
            f'[[dkim.key]]\ndomain = "fwd.hikyaku.example"\nselector = "{sel}"\n'
            f'algorithm = "{"rsa-sha256" if sel == "rsa26" else "ed25519-sha256"}"\n'
            f'private_key = "{pem}"\n' for sel, (pem, _) in keys.items())
        # The author signs with its own key first (an independent signer).
        author_pem = f"{self.workdir}/author.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", author_pem], check=True, capture_output=True)
        author_der = subprocess.run(["openssl", "pkey", "-in", author_pem, "-pubout", "-outform", "DER"],
                                    check=True, capture_output=True).stdout
        author_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(author_der).decode()
        with open(author_pem, "rb") as f:
            author_sig = dkim.sign(MESSAGE.encode(), b"s1", b"origin.example", f.read(),
                                   include_headers=[b"from", b"to", b"subject", b"message-id"])
        sink = self.sink(AcceptingSink, "::1")
        r = self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=dkim_conf + RULES)
        _, reply = send(r, ["v6@hikyaku.example"], data=author_sig.decode() + MESSAGE)
        self.assertTrue(reply.startswith("250"), reply)
        data = sink.messages[0]["data"]
        records = {f"{sel}._domainkey.fwd.hikyaku.example.": rec for sel, (_, rec) in keys.items()}
        records["s1._domainkey.origin.example."] = author_record

        def dnsfunc(name, timeout=5):
            return records.get(name.decode() if isinstance(name, bytes) else name, "").encode()

        d = dkim.DKIM(data)
        sigs = [h for h in d.headers if h[0].lower() == b"dkim-signature"]
        self.assertEqual(len(sigs), 3)
        domains = []
        for i in range(len(sigs)):
            self.assertTrue(d.verify(idx=i, dnsfunc=dnsfunc), f"signature {i} failed: {sigs[i][1][:120]}")
            domains.append(dict(dkim.util.parse_tag_value(sigs[i][1]))[b"d"])
        self.assertEqual(sorted(domains), [b"fwd.hikyaku.example", b"fwd.hikyaku.example", b"origin.example"])

    def test_dnsbl_listed_clients_refused_at_connect(self):
        proxy_port = free_port()
        # unlisted.example does not exist: a list that does not answer blocks nobody.
        r = self.relay(
            dns=self.nsd.address, relay_port=self.port, proxy_port=proxy_port,
            domains_extra='[auth]\ndnsbl = ["unlisted.example", "bl.example"]\n' + RULES)
        for header, listed in ((b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n", True),
                               (b"PROXY TCP6 2001:db8::25 2001:db8::1 40000 25\r\n", True),
                               (b"PROXY TCP4 192.0.2.8 198.51.100.1 40000 25\r\n", False)):
            c = SmtpClient(proxy_port, prefix=header)
            if listed:
                self.assertTrue(c.banner.startswith("554 5.7.1 Service unavailable; client ["), c.banner)
                self.assertIn("found on one or more DNSBLs (bl.example)", c.banner)
                self.assertTrue(c.closed())
            else:
                self.assertTrue(c.banner.startswith("220"), c.banner)
                c.command("QUIT")
            c.close()
        self.assertIn("client [2001:db8::25] listed in bl.example (127.0.0.4)", r.read_log())

    def test_slow_dns_does_not_stall_other_sessions(self):
        """One session's MX lookup takes 2.5 s (under the harness's 3 s DNS timeout); another
        session forwards meanwhile and is done before the slow one (an ordering of events, not a
        timing tuned to an idle machine)."""
        import threading
        from slow_dns import SlowDns
        slow_sink = self.sink(AcceptingSink, "127.0.0.13")
        fast_sink = self.sink(AcceptingSink, "::1")
        dns = SlowDns(int(self.nsd.address.split(":")[1]), "slow.dest.example", 2.5).start()
        try:
            r = self.relay(dns=dns.address, relay_port=self.port, domains_extra=RULES)
            slow_result = {}

            def slow_session():
                slow_result["start"] = time.time()
                slow_result["reply"] = send(r, ["slow@hikyaku.example"])[1]
                slow_result["end"] = time.time()

            t = threading.Thread(target=slow_session)
            t.start()
            deadline = time.time() + 20
            while dns.delayed == 0 and time.time() < deadline:  # its MX lookup is under way
                time.sleep(0.02)
            self.assertGreater(dns.delayed, 0)
            start = time.time()
            _, fast_reply = send(r, ["v6@hikyaku.example"])
            fast_end = time.time()
            t.join(30)
        finally:
            dns.stop()
        self.assertTrue(fast_reply.startswith("250"), fast_reply)
        self.assertTrue(slow_result["reply"].startswith("250"), slow_result)
        self.assertGreaterEqual(slow_result["end"] - slow_result["start"], 2.4)
        self.assertLess(start, slow_result["end"])
        self.assertLess(fast_end, slow_result["end"])  # it did not wait for the slow lookup
        self.assertEqual(len(fast_sink.messages), 1)
        self.assertEqual(len(slow_sink.messages), 1)
        self.assertGreater(dns.delayed, 0)

    def test_arc_sealed_and_resealed_chain_verifies(self):
        """Our ARC set verifies with python3-dkim's arc_verify; forwarded again, the relay
        validates its own earlier set through DNS and adds i=2 with cv=pass."""
        import dkim
        sink = self.sink(AcceptingSink, "::1")
        arc = (f'[arc]\nenabled = true\ndomain = "fwd.dest.example"\nselector = "arc26"\n'
               f'private_key = "{self.arc_pem}"\n')
        r = self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=arc + RULES)
        records = {"arc26._domainkey.fwd.dest.example.": self.arc_record}

        def dnsfunc(name, timeout=5):
            return records.get(name.decode() if isinstance(name, bytes) else name, "").encode()

        _, reply = send(r, ["v6@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        first = sink.messages[0]["data"]
        cv, results, comment = dkim.arc_verify(first, dnsfunc=dnsfunc)
        self.assertEqual(cv, dkim.CV_Pass, comment)
        seal = re.search(rb"ARC-Seal:.*?\r\n(?![ \t])", first, re.S).group(0)
        self.assertIn(b"i=1;", seal)
        self.assertIn(b"cv=none;", seal)
        # The second hop: the forwarded message comes back in as a new one.
        second_in = first.decode().split("\r\n", 0)[0]
        _, reply = send(r, ["v6@hikyaku.example"], data=second_in)
        self.assertTrue(reply.startswith("250"), reply)
        second = sink.messages[1]["data"]
        cv, results, comment = dkim.arc_verify(second, dnsfunc=dnsfunc)
        self.assertEqual(cv, dkim.CV_Pass, comment)
        self.assertEqual(len(results), 2)
        self.assertIn("arc=sealed incoming cv=pass instances=1", r.read_log())
        # The same judgement from the command line, keys fetched from NSD.
        import subprocess
        from harness import HIKYAKU
        cli = subprocess.run([HIKYAKU, "arc", "verify", "--dns", self.nsd.address], input=second,
                             capture_output=True)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertEqual(cli.stdout.decode().strip(), "cv=pass instances=2 oldest-pass=0")

    def test_two_relays_in_a_row_give_srs1_and_an_arc_chain_of_two(self):
        import dkim
        sink = self.sink(AcceptingSink, "::1")
        arc = (f'[arc]\nenabled = true\ndomain = "fwd.dest.example"\nselector = "arc26"\n'
               f'private_key = "{self.arc_pem}"\n')
        second_hop = (arc + '[srs]\ndomain = "fwdb.dest.example"\nsecrets = ["b-secret"]\n'
                      '[[domain]]\nname = "hop.dest.example"\n[[domain.rule]]\naddress = "user"\n'
                      'forward = ["final@v6.dest.example"]\n')
        # The second relay is hop.dest.example's MX, on 127.0.0.14 at the relay port.
        self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=second_hop,
                   port=self.port, listen=[f"127.0.0.14:{self.port}"], hostname="mx2.hikyaku.test")
        first = self.relay(dns=self.nsd.address, relay_port=self.port,
                           domains_extra=arc + SRS + RULES)
        _, reply = send(first, ["hop@hikyaku.example"], sender="author@origin.example")
        self.assertTrue(reply.startswith("250"), reply)
        self.assertIn("mx.hop.dest.example", reply)
        msg = sink.messages[0]
        self.assertEqual(msg["rcpt_tos"], ["final@v6.dest.example"])
        self.assertRegex(msg["mail_from"], r"^SRS1=[A-Za-z0-9_-]{6}=fwd\.hikyaku\.example==[A-Za-z0-9_-]{6}="
                                           r"[A-Z2-7]{2}=origin\.example=author@fwdb\.dest\.example$")
        records = {"arc26._domainkey.fwd.dest.example.": self.arc_record}
        cv, results, comment = dkim.arc_verify(
            msg["data"], dnsfunc=lambda name, timeout=5: records.get(name.decode(), "").encode())
        self.assertEqual(cv, dkim.CV_Pass, comment)
        self.assertEqual(len(results), 2)

    def test_spf_passes_for_the_srs_rewritten_sender(self):
        """An independent SPF evaluator (pyspf, asking NSD) passes the SRS'd MAIL FROM for the
        address the message arrived from; the original sender's domain would not."""
        import dns.resolver
        import spf
        sink = self.sink(AcceptingSink, "::1")
        srs = '[srs]\ndomain = "fwd.dest.example"\nsecrets = ["s"]\n'
        r = self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=srs + RULES)
        _, reply = send(r, ["v6@hikyaku.example"], sender="author@origin.example")
        self.assertTrue(reply.startswith("250"), reply)
        msg = sink.messages[0]
        self.assertTrue(msg["mail_from"].endswith("@fwd.dest.example"), msg["mail_from"])
        resolver = dns.resolver.Resolver(configure=False)  # only our NSD, never the system's
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = int(self.nsd.address.split(":")[1])
        saved = dns.resolver.default_resolver
        dns.resolver.default_resolver = resolver
        try:
            result, explanation = spf.check2(i=msg["peer"], s=msg["mail_from"], h="out.hikyaku.test")
        finally:
            dns.resolver.default_resolver = saved
        self.assertEqual(result, "pass", explanation)

    def test_swaks_over_ipv6_forwards(self):
        sink = self.sink(AcceptingSink, "::1")
        r = self.start()
        code, out = swaks(r.port, "--server", "::1", "--from", "sender@origin.example",
                          "--to", "v6@hikyaku.example")
        self.assertEqual(code, 0, out)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("Received: from client.example.org (unknown [::1])",
                      sink.messages[0]["data"].decode())


if __name__ == "__main__":
    unittest.main()
