"""From rewriting end to end (RFC 7960 §3.2.3 mitigation; issue 15 §2): NSD serves the senders'
SPF, DKIM and DMARC records and the forwarding domain's DKIM key and DMARC record; clients present
documentation-range addresses through a PROXY listener. A sender aligned only through SPF under
p=reject arrives with a rewritten From that passes DMARC at the sink, judged by an evaluator in
this file (python3-dkim and the published records, not the relay's code); an author-DKIM-aligned
sender arrives untouched; a reply to the rewritten address reaches the original author; a forged
reply address is refused at RCPT."""
import base64
import email
import email.policy
import email.utils
import os
import re
import subprocess
import tempfile
import time
import unittest

import dkim

from harness import HIKYAKU, RelayTestCase, SmtpClient, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink

AUTHSERV = "mx.hikyaku.test"
FWD = "fwd.hikyaku.example"


def zone(origin, body):
    return (f"$ORIGIN {origin}.\n$TTL 60\n"
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
            f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + body)


def txt(text):
    return "( " + " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200)) + " )"


def rsa_key(path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", path], check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    with open(path, "rb") as f:
        return f.read(), "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def message(frm, subject="from rewrite test", extra_headers=""):
    return (f"From: {frm}\r\nTo: info@hikyaku.example\r\nSubject: {subject}\r\n"
            f"Date: Mon, 07 Dec 2026 18:00:00 +0000\r\nMessage-ID: <{time.time_ns()}@test>\r\n"
            + extra_headers + "\r\nHello from the from-rewrite test.\r\n").encode()


def org_domain(domain):
    """The organizational domain of the test's names: the last two labels (every name here sits
    under a reserved TLD with no deeper registry boundary, RFC 2606)."""
    return ".".join(domain.lower().rstrip(".").split(".")[-2:])


class SinkDmarc:
    """An independent DMARC evaluation of a message as it arrived at the sink (RFC 9989 §4.4,
    §4.10 in the small: one From, its domain's record or the organizational domain's, DKIM
    verified by python3-dkim with keys from the test's DNS server, relaxed alignment; SPF
    alignment from the envelope: the MAIL FROM domain must align with the From domain, and the
    relay's SRS MAIL FROM is what a destination would check)."""

    def __init__(self, txt_lookup):
        self.txt = txt_lookup

    def policy(self, domain):
        for name in (domain, org_domain(domain)):
            record = self.txt(f"_dmarc.{name}").decode()
            if record.startswith("v=DMARC1"):
                tags = dict(t.strip().split("=", 1) for t in record.split(";") if "=" in t)
                return tags.get("p", "none").strip()
        return None

    def evaluate(self, data, mail_from):
        parsed = email.message_from_bytes(data, policy=email.policy.compat32)
        froms = parsed.get_all("From") or []
        assert len(froms) == 1, froms
        _, address = email.utils.parseaddr(re.sub(r"\r?\n[ \t]", " ", froms[0]))
        from_domain = address.rpartition("@")[2].lower()
        verifier = dkim.DKIM(data)
        count = sum(1 for h in verifier.headers if h[0].lower() == b"dkim-signature")
        passing = []
        for i in range(count):
            if verifier.verify(idx=i, dnsfunc=lambda name, timeout=5: self.txt(name)):
                passing.append(verifier.domain.decode().lower())
        dkim_aligned = any(org_domain(d) == org_domain(from_domain) for d in passing)
        envelope_domain = mail_from.rpartition("@")[2].lower()
        spf_aligned_identity = org_domain(envelope_domain) == org_domain(from_domain)
        return {"from": address, "from_domain": from_domain, "policy": self.policy(from_domain),
                "dkim_pass": passing, "dkim_aligned": dkim_aligned,
                "mail_from_aligned": spf_aligned_identity,
                "dmarc": "pass" if dkim_aligned else "fail"}


class FromRewrite(RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.TemporaryDirectory(prefix="hikyaku-fromrw-")
        cls.fwd_pem = os.path.join(cls.keydir.name, "fwd.pem")
        _, fwd_record = rsa_key(cls.fwd_pem)
        cls.author_key, author_record = rsa_key(os.path.join(cls.keydir.name, "author.pem"))
        zones = {
            # Aligned only through SPF (no DKIM), p=reject: the destination would refuse it.
            "spfonly.example": zone("spfonly.example",
                                    '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'
                                    '_dmarc IN TXT "v=DMARC1; p=reject"\n'
                                    "@ IN MX 10 mx\nmx IN A 127.0.0.1\n"),
            # Signs its own mail: its DKIM signature carries DMARC through the forwarder.
            "signed.example": zone("signed.example",
                                   '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'
                                   '_dmarc IN TXT "v=DMARC1; p=reject"\n'
                                   f"s1._domainkey IN TXT {txt(author_record)}\n"),
            # Someone replying to a rewritten From; no DMARC record of its own.
            "replier.example": zone("replier.example", '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'),
            # The forwarding domain: our DKIM key and DMARC record, SPF for the loopback relay.
            "hikyaku.example": zone("hikyaku.example",
                                    f"s26._domainkey.fwd IN TXT {txt(fwd_record)}\n"
                                    '_dmarc.fwd IN TXT "v=DMARC1; p=reject"\n'
                                    'fwd IN TXT "v=spf1 ip4:127.0.0.1 -all"\n'),
            "dest.example": zone("dest.example", "@ IN MX 10 mx\nmx IN A 127.0.0.1\n"),
        }
        cls.nsd = NsdServer(zones).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()
        cls.keydir.cleanup()

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.sink = AcceptingSink("127.0.0.1", self.port).start()
        self.evaluator = SinkDmarc(self.nsd_txt)

    def tearDown(self):
        self.sink.stop()
        super().tearDown()

    def nsd_txt(self, name):
        name = name.decode() if isinstance(name, bytes) else name
        out = subprocess.run(["dig", "+short", "-p", str(self.nsd.port), "@127.0.0.1", "TXT",
                              name.rstrip(".")], capture_output=True, text=True, timeout=30).stdout
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', out)).encode()

    def start(self, mode="when-needed", extra=""):
        self.proxy_port = free_port()
        config = (f'\n[srs]\ndomain = "{FWD}"\nsecrets = ["fresh-secret", "old-secret"]\n'
                  f'[[dkim.key]]\ndomain = "{FWD}"\nselector = "s26"\nprivate_key = "{self.fwd_pem}"\n'
                  f"{extra}\n"
                  f'[[domain]]\nname = "hikyaku.example"\nfrom_rewrite = "{mode}"\n'
                  '[[domain.rule]]\naddress = "info"\nforward = ["user@dest.example"]\n')
        return self.relay(dns=self.nsd.address, relay_port=self.port, proxy_port=self.proxy_port,
                          domains_extra=config)

    def session(self, mail_from, rcpt, client_ip="192.0.2.10"):
        c = SmtpClient(self.proxy_port, prefix=f"PROXY TCP4 {client_ip} 127.0.0.1 40000 25\r\n".encode())
        self.assertTrue(c.command("EHLO client.provider.example").startswith("250"))
        self.assertTrue(c.command(f"MAIL FROM:<{mail_from}>").startswith("250"))
        return c, c.command(f"RCPT TO:<{rcpt}>")

    def send(self, data, mail_from, rcpt="info@hikyaku.example", client_ip="192.0.2.10"):
        c, reply = self.session(mail_from, rcpt, client_ip)
        self.assertTrue(reply.startswith("250"), reply)
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send(data + b".\r\n")
        reply = c.reply()
        c.command("QUIT")
        c.close()
        return reply

    def arrived(self, count=1):
        self.assertTrue(self.sink.wait_for(count), "nothing arrived")
        return self.sink.messages[count - 1]

    def headers(self, data):
        return email.message_from_bytes(data, policy=email.policy.compat32)

    def test_spf_only_aligned_reject_sender_arrives_rewritten_and_passes_dmarc(self):
        r = self.start()
        original = message('"Alice Example" <alice@spfonly.example>')
        reply = self.send(original, "alice@spfonly.example")
        self.assertTrue(reply.startswith("250"), reply)
        msg = self.arrived()
        h = self.headers(msg["data"])
        from_field = re.sub(r"\r?\n[ \t]", " ", h["From"])
        self.assertRegex(from_field, r'^ ?"Alice Example via fwd\.hikyaku\.example" '
                                     r"<FR=[A-Z2-7]{8}=[A-Z2-7]{2}=spfonly\.example=alice@fwd\.hikyaku\.example>$")
        self.assertEqual(h["Reply-To"].strip(), '"Alice Example" <alice@spfonly.example>')
        self.assertEqual(h["X-Original-From"].strip(), '"Alice Example" <alice@spfonly.example>')
        # The sink's own DMARC evaluation: our signature is aligned with the new From.
        verdict = self.evaluator.evaluate(msg["data"], msg["mail_from"])
        self.assertEqual(verdict["from_domain"], FWD)
        self.assertEqual(verdict["policy"], "reject")
        self.assertIn(FWD, verdict["dkim_pass"])
        self.assertEqual(verdict["dmarc"], "pass", verdict)
        # Our A-R names the author's domain and says why the From changed; the log line too.
        ours = [f for f in h.get_all("Authentication-Results") if f.strip().startswith(AUTHSERV)]
        self.assertEqual(len(ours), 1)
        self.assertIn("header.from=spfonly.example", re.sub(r"\s+", " ", ours[0]))
        self.assertIn("(From rewritten: spf-only-aligned)", re.sub(r"\s+", " ", ours[0]))
        self.assertTrue(r.wait_for_log("from_rewrite=spf-only-aligned"), r.read_log()[-3000:])
        self.assertIn("from rewritten (spf-only-aligned): <alice@spfonly.example> -> <FR=", r.read_log())

    def test_without_rewriting_the_same_message_fails_dmarc_at_the_sink(self):
        # The evaluator's negative: from_rewrite = "never" forwards the From as it was, and the
        # destination's DMARC fails (SPF now names our SRS address, no author signature).
        r = self.start(mode="never")
        reply = self.send(message("alice@spfonly.example"), "alice@spfonly.example")
        self.assertTrue(reply.startswith("250"), reply)
        msg = self.arrived()
        verdict = self.evaluator.evaluate(msg["data"], msg["mail_from"])
        self.assertEqual(verdict["from"], "alice@spfonly.example")
        self.assertFalse(verdict["mail_from_aligned"])
        self.assertEqual(verdict["dmarc"], "fail", verdict)
        self.assertEqual(verdict["policy"], "reject")
        self.assertTrue(r.wait_for_log("from_rewrite=never"), r.read_log()[-3000:])

    def test_author_dkim_aligned_sender_arrives_untouched(self):
        r = self.start()
        original = message("Bob <bob@signed.example>")
        signed = dkim.sign(original, b"s1", b"signed.example", self.author_key,
                           include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]) + original
        reply = self.send(signed, "bob@signed.example", client_ip="203.0.113.5")  # SPF fails
        self.assertTrue(reply.startswith("250"), reply)
        msg = self.arrived()
        h = self.headers(msg["data"])
        self.assertEqual(h.get_all("From"), ["Bob <bob@signed.example>"])
        self.assertIsNone(h["Reply-To"])
        self.assertIsNone(h["X-Original-From"])
        # The author's part of the message is byte for byte what was sent.
        self.assertTrue(msg["data"].endswith(signed), msg["data"][-600:])
        verdict = self.evaluator.evaluate(msg["data"], msg["mail_from"])
        self.assertIn("signed.example", verdict["dkim_pass"])
        self.assertEqual(verdict["dmarc"], "pass", verdict)
        self.assertTrue(r.wait_for_log("from_rewrite=dkim-aligned"), r.read_log()[-3000:])

    def test_author_signature_our_fields_would_break_is_rewritten(self):
        # The author over-signs Authentication-Results (named in h= with none present, RFC 6376
        # §5.4.2): our A-R on top breaks its signature downstream, so it carries no DMARC there.
        r = self.start()
        original = message("Bob <bob@signed.example>")
        signed = dkim.sign(original, b"s1", b"signed.example", self.author_key,
                           include_headers=[b"from", b"to", b"subject", b"date", b"message-id",
                                            b"authentication-results"]) + original
        reply = self.send(signed, "bob@signed.example", client_ip="203.0.113.5")  # SPF fails
        self.assertTrue(reply.startswith("250"), reply)
        msg = self.arrived()
        verdict = self.evaluator.evaluate(msg["data"], msg["mail_from"])
        self.assertNotIn("signed.example", verdict["dkim_pass"])  # broken on the way, as predicted
        self.assertEqual(verdict["from_domain"], FWD)
        self.assertEqual(verdict["dmarc"], "pass", verdict)
        self.assertTrue(r.wait_for_log("from_rewrite=dkim-breaks"), r.read_log()[-3000:])

    def rewritten_address(self, r):
        reply = self.send(message("Alice <alice@spfonly.example>"), "alice@spfonly.example")
        self.assertTrue(reply.startswith("250"), reply)
        h = self.headers(self.arrived()["data"])
        _, address = email.utils.parseaddr(re.sub(r"\r?\n[ \t]", " ", h["From"]))
        self.assertTrue(address.startswith("FR="), address)
        return address

    def test_reply_to_the_rewritten_address_reaches_the_original_author(self):
        r = self.start()
        address = self.rewritten_address(r)
        reply_message = (f"From: Carol <carol@replier.example>\r\nTo: {address}\r\n"
                         "Subject: Re: from rewrite test\r\nDate: Mon, 07 Dec 2026 18:05:00 +0000\r\n"
                         f"Message-ID: <{time.time_ns()}@replier>\r\n\r\nThanks.\r\n").encode()
        # Replies come from people, not only from the null sender.
        reply = self.send(reply_message, "carol@replier.example", rcpt=address)
        self.assertTrue(reply.startswith("250"), reply + r.read_log()[-3000:])
        msg = self.arrived(2)
        self.assertEqual(msg["rcpt_tos"], ["alice@spfonly.example"])
        self.assertIn(b"Subject: Re: from rewrite test", msg["data"])
        self.assertIn("action=forward reply address to=alice@spfonly.example", r.read_log())

    def test_forged_reply_address_is_refused_at_rcpt(self):
        r = self.start()
        address = self.rewritten_address(r)
        local = address.rpartition("@")[0]
        forged_hash = local[:3] + ("A" if local[3] != "A" else "B") + local[4:] + "@" + FWD
        forged_author = local.replace("=alice", "=mallory") + "@" + FWD
        for forged, why in ((forged_hash, "invalid reply address hash"),
                            (forged_author, "invalid reply address hash"),
                            ("FR=AAAAAAAA=AA=spfonly.example=alice@" + FWD, "invalid reply address hash"),
                            ("FR=AAAAAAAA@" + FWD, "malformed reply address")):
            c, reply = self.session("carol@replier.example", forged)
            c.command("QUIT")
            c.close()
            self.assertTrue(reply.startswith("550 5.1.1"), (forged, reply))
            self.assertIn(why, reply)
        # Nothing more than the first message was ever relayed.
        self.assertEqual(len(self.sink.messages), 1)

    def test_hikyaku_auth_shows_the_decision(self):
        r = self.start()
        args = ["--dns", self.nsd.address, "--ip", "192.0.2.10", "--helo", "client.provider.example",
                "--mail-from", "alice@spfonly.example", "-c", r.config_path]
        p = subprocess.run([HIKYAKU, "auth", *args], input=message("Alice <alice@spfonly.example>"),
                           capture_output=True, timeout=120)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        self.assertRegex(out, r"From rewrite: yes \(spf-only-aligned\) -> <FR=[A-Z2-7]{8}=[A-Z2-7]{2}="
                              r"spfonly\.example=alice@fwd\.hikyaku\.example>")
        p = subprocess.run([HIKYAKU, "auth", *args[:-2]], input=message("Alice <alice@spfonly.example>"),
                           capture_output=True, timeout=120)
        self.assertIn("From rewrite: no (no-signing-key)", p.stdout.decode())


if __name__ == "__main__":
    unittest.main()
