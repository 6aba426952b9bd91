"""Interoperability of outbound DANE (RFC 7672) with Postfix as the receiving MTA.

A private Postfix (tests/integration/postfix_harness.py) receives on 127.0.0.31 with a
certificate made in the test; its MX host is in a zone signed in the test and served by NSD.
With a DANE-EE(3) SPKI(1) SHA2-256(1) TLSA record naming Postfix's key the relay delivers over
TLS, and Postfix's own Received header and log say the session was TLS; with a TLSA record that
names another key the recipient is deferred and queued, retried, and never sent, in plaintext or
otherwise. Postfix's master must start as root: without root the tests are skipped.
"""
import os
import re
import unittest

from harness import RelayTestCase, free_port, spool_entries
from nsd_harness import NsdServer
from postfix_harness import PostfixReceiver, available
from test_forwarding import ORIGIN_ZONE, send
from test_outbound_tls import Pki, signed_zone

RULES = """
[[domain]]
name = "hikyaku.example"
[[domain.rule]]
address = "dane"
forward = ["user@dane.test"]
[[domain.rule]]
address = "both"
forward = ["user@dane.test", "user@open.test"]
"""

# An unsigned domain whose MX is the same Postfix: opportunistic TLS, no DANE.
OPEN_ZONE = """$ORIGIN open.test.
$TTL 60
@  IN SOA ns hostmaster 1 3600 600 86400 60
@  IN NS ns
ns IN A 127.0.0.1
@  IN MX 10 mx
mx IN A 127.0.0.31
"""

REASON = available()


@unittest.skipIf(REASON, f"Postfix interop needs a private Postfix: {REASON}")
class PostfixReceiverDane(RelayTestCase):
    def setUp(self):
        super().setUp()
        self.pki = Pki(self.workdir)
        self.port = free_port()
        self.nsd = None
        cert, key, self.spki = self.pki.leaf("mx.dane.test", self_signed=True)
        self.postfix = PostfixReceiver(self.workdir, "127.0.0.31", self.port, cert, key,
                                       ["dane.test", "open.test"])
        self.postfix.start()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.postfix.stop()
            if self.nsd:
                self.nsd.stop()

    def relay_with_tlsa(self, tlsa):
        body = f"@ IN MX 10 mx\nmx IN A 127.0.0.31\n_25._tcp.mx IN TLSA {tlsa}\n"
        zone_text, ds = signed_zone(self.workdir, "dane.test", body)
        anchor = os.path.join(self.workdir, "anchor.ds")
        with open(anchor, "w") as f:
            f.write(ds)
        self.nsd = NsdServer({"dane.test": zone_text, "open.test": OPEN_ZONE,
                              "origin.example": ORIGIN_ZONE}).start()
        return self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=RULES,
                          trust_anchor=anchor)

    def assert_no_plaintext_transaction(self):
        # Postfix's disconnect line counts the commands of each session: none that reached MAIL
        # went without STARTTLS.
        for line in self.postfix.read_log().splitlines():
            if "disconnect from" in line and " mail=" in line:
                self.assertIn("starttls=1", line, line)

    def test_dane_ee_record_for_postfix_delivers_over_tls(self):
        r = self.relay_with_tlsa(f"3 1 1 {self.spki}")
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        got = self.postfix.wait_delivered("dane.test")
        self.assertEqual(len(got), 1, self.postfix.read_log())
        # Postfix's Received header: the hop from the relay was TLS (ESMTPS, protocol named).
        received = got[0].split("\n\n", 1)[0]
        self.assertRegex(received, r"\(using TLSv1\.[23] with cipher ")
        self.assertIn("with ESMTPS id", received)
        self.assertIn("Anonymous TLS connection established", self.postfix.read_log())
        self.assert_no_plaintext_transaction()
        # Our log: the hop was governed by DANE (tlsa) and went over TLS.
        log = r.read_log()
        self.assertRegex(log, r"domain=dane\.test relay=mx\.dane\.test\[127\.0\.0\.31\]:\d+ .*"
                              r"tls=TLSv1\.[23] tls_policy=tlsa ")
        self.assertEqual(spool_entries(r.spool), [])

    def test_wrong_tlsa_record_defers_and_queues_never_plaintext(self):
        r = self.relay_with_tlsa("3 1 1 " + "ab" * 32)
        _, reply = send(r, ["both@hikyaku.example"])
        # open.test is delivered, dane.test deferred: the message is queued for dane.test alone.
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(self.postfix.wait_delivered("open.test")), 1, self.postfix.read_log())
        self.assertEqual(len(spool_entries(r.spool)), 1)
        # The queue retries (retry_interval 1s) and defers again for the same reason.
        self.assertTrue(r.wait_for_log_count("tlsa-invalid", 2, timeout=120), r.read_log()[-4000:])
        self.assertEqual(self.postfix.delivered("dane.test"), [])
        self.assertNotIn("to=<user@dane.test>", self.postfix.read_log())
        self.assertEqual(len(spool_entries(r.spool)), 1)
        self.assert_no_plaintext_transaction()
        self.assertTrue(re.search(r"domain=dane\.test .*tls_policy=tlsa", r.read_log()), r.read_log()[-4000:])


if __name__ == "__main__":
    unittest.main()
