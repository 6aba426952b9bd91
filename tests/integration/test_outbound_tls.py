"""Outbound transport security on the forwarding hop, end to end.

DANE (RFC 7672): NSD serves a zone signed in the test with ldns-signzone, the relay validates it
from the zone's own DS record (`[dns] trust_anchor_file`), and TLSA records name the loopback
destination's certificate (matching, mismatching) or the destination offers no STARTTLS; a zone
whose anchor does not match is bogus. MTA-STS (RFC 8461): an HTTPS server on loopback with a
certificate from the test's own CA serves good, oversized and testing-mode policies. Each case
asserts delivered, deferred (4xx in the session, queued) or never sent in plaintext.
"""
import datetime
import glob
import hashlib
import http.server
import os
import ssl
import subprocess
import threading
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import HIKYAKU, RelayTestCase, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink
from test_forwarding import ORIGIN_ZONE, send

RULES = """
[[domain]]
name = "hikyaku.example"
[[domain.rule]]
address = "dane"
forward = ["user@dane.test"]
[[domain.rule]]
address = "sts"
forward = ["user@sts.test"]
"""


class Pki:
    """A CA and certificates made in the test (P-256)."""

    def __init__(self, directory):
        self.directory = directory
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hikyaku Test CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(self.ca_key, hashes.SHA256()))
        self.ca_path = self._write("ca.pem", self.ca.public_bytes(serialization.Encoding.PEM))

    def _write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def leaf(self, host, expired=False, self_signed=False):
        """(cert path, key path, SHA-256 of the SPKI) for `host`."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = ((now - datetime.timedelta(days=3), now - datetime.timedelta(days=1)) if expired
                      else (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        issuer = subject if self_signed else self.ca.subject
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                .sign(key if self_signed else self.ca_key, hashes.SHA256()))
        tag = f"{host}-{'expired' if expired else 'valid'}-{'self' if self_signed else 'ca'}"
        cert_path = self._write(tag + ".pem", cert.public_bytes(serialization.Encoding.PEM))
        key_path = self._write(tag + ".key", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        return cert_path, key_path, hashlib.sha256(spki).hexdigest()


def server_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def signed_zone(directory, origin, body):
    """The zone signed with a fresh ECDSA P-256 key (ldns-keygen, ldns-signzone); returns
    (signed zone text, the DS record for the trust anchor file)."""
    unsigned = os.path.join(directory, origin + ".zone")
    with open(unsigned, "w") as f:
        f.write(f"$ORIGIN {origin}.\n$TTL 60\n"
                f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
                f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + body)
    key = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", origin], cwd=directory,
                         capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["ldns-signzone", unsigned, key], cwd=directory, capture_output=True, text=True,
                   check=True)
    with open(unsigned + ".signed") as f:
        zone_text = f.read()
    with open(os.path.join(directory, key + ".ds")) as f:
        ds = f.read()
    for path in glob.glob(os.path.join(directory, key + ".*")):
        os.remove(path)
    return zone_text, ds


class LoopbackHttps:
    """An HTTPS server on a loopback address with a certificate of the test's Pki, answering with
    a BaseHTTPRequestHandler class in a thread of its own; self.port is its port."""

    def serve(self, address, cert, key, handler):
        self.httpd = http.server.HTTPServer((address, 0), handler)
        self.httpd.socket = server_context(cert, key).wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class PolicyServer(LoopbackHttps):
    """HTTPS on a loopback address serving `policy` at /.well-known/mta-sts.txt."""

    def __init__(self, address, cert, key, policy, content_type="text/plain", delay=None):
        """delay: seconds to wait before answering, or "never" (the request is read, no answer
        comes until the server stops)."""
        body = policy.encode()
        self.release = release = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if delay == "never":
                    release.wait()
                    return
                if delay:
                    release.wait(delay)
                if self.path != "/.well-known/mta-sts.txt":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.serve(address, cert, key, Handler)

    def stop(self):
        self.release.set()
        super().stop()


class TlsDestinationsTestCase(RelayTestCase):
    """A relay test with the test's own CA (self.pki), sinks on one port (self.sink) and
    servers and an NSD stopped at the end."""

    def setUp(self):
        super().setUp()
        self.pki = Pki(self.workdir)
        self.port = free_port()
        self.sinks = []
        self.servers = []
        self.nsd = None

    def tearDown(self):
        for s in self.sinks:
            s.stop()
        for s in self.servers:
            s.stop()
        super().tearDown()
        if self.nsd:
            self.nsd.stop()

    def sink(self, host, tls=None):
        s = AcceptingSink(host, self.port, tls_context=tls).start()
        self.sinks.append(s)
        return s


class OutboundTls(TlsDestinationsTestCase):

    def dane_relay(self, tlsa, anchor_mismatch=False, relay_extra="", implicit_mx=False):
        """dane.test signed, MX mx.dane.test -> 127.0.0.31, TLSA `tlsa` (or none); with
        implicit_mx no MX records: dane.test itself -> 127.0.0.31, its TLSA at _25._tcp.dane.test."""
        if implicit_mx:
            body = "@ IN A 127.0.0.31\n" + (f"_25._tcp IN TLSA {tlsa}\n" if tlsa else "")
        else:
            body = "@ IN MX 10 mx\nmx IN A 127.0.0.31\n"
            if tlsa:
                body += f"_25._tcp.mx IN TLSA {tlsa}\n"
        zone_text, ds = signed_zone(self.workdir, "dane.test", body)
        if anchor_mismatch:
            _, ds = signed_zone(self.workdir, "dane.test", body)  # another key's DS: bogus
        anchor = os.path.join(self.workdir, "anchor.ds")
        with open(anchor, "w") as f:
            f.write(ds)
        self.nsd = NsdServer({"dane.test": zone_text, "origin.example": ORIGIN_ZONE}).start()
        return self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=RULES,
                          trust_anchor=anchor, relay_extra=relay_extra)

    def sts_relay(self, policy, mx_cert, content_type="text/plain", relay_extra="", delay=None,
                  fetch_timeout="5s"):
        """sts.test (unsigned) with an MTA-STS record and policy; MX mx.sts.test -> 127.0.0.32."""
        cert, key, _ = self.pki.leaf("mta-sts.sts.test")
        server = PolicyServer("127.0.0.33", cert, key, policy, content_type, delay)
        self.servers.append(server)
        body = ("$ORIGIN sts.test.\n$TTL 60\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\n"
                "ns IN A 127.0.0.1\n@ IN MX 10 mx\nmx IN A 127.0.0.32\n"
                '_mta-sts IN TXT "v=STSv1; id=20261207"\nmta-sts IN A 127.0.0.33\n')
        self.nsd = NsdServer({"sts.test": body, "origin.example": ORIGIN_ZONE}).start()
        extra = (f'tls_ca_file = "{self.pki.ca_path}"\nmta_sts_port = {server.port}\n'
                 f'mta_sts_fetch_timeout = "{fetch_timeout}"\n' + relay_extra)
        sink = self.sink("127.0.0.32", server_context(*mx_cert[:2]) if mx_cert else None)
        return self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=RULES,
                          relay_extra=extra), sink

    # --- DANE ---------------------------------------------------------------------------

    def test_dane_ee_match_delivers_over_tls(self):
        cert, key, spki = self.pki.leaf("mx.dane.test", self_signed=True)
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay(f"3 1 1 {spki}")
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertTrue(sink.messages[0]["tls"])
        self.assertIn("tls_policy=tlsa", r.read_log())

    def test_dane_mismatch_is_deferred_never_plaintext(self):
        cert, key, _ = self.pki.leaf("mx.dane.test")
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay("3 1 1 " + "ab" * 32)
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])
        self.assertIn("tlsa-invalid", r.read_log())

    def test_dane_expired_certificate_matched_by_dane_ee_is_delivered(self):
        # RFC 7672 §3.1.1: DANE-EE(3) ignores the certificate's validity dates and names.
        cert, key, spki = self.pki.leaf("other.name", expired=True)
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay(f"3 1 1 {spki}")
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("tls_policy=tlsa", r.read_log())

    def test_dane_destination_without_starttls_is_deferred(self):
        sink = self.sink("127.0.0.31")  # no STARTTLS offered
        r = self.dane_relay("3 1 1 " + "cd" * 32)
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])
        log = r.read_log()
        self.assertIn("4.7.4", log)

    def test_implicit_mx_with_tlsa_for_the_domain_delivers_over_dane(self):
        # RFC 5321 §5.1, RFC 7672 §2.2.1: no MX records, so dane.test is its own MX; its address
        # records are signed, so its TLSA records at _25._tcp.dane.test apply.
        cert, key, spki = self.pki.leaf("dane.test", self_signed=True)
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay(f"3 1 1 {spki}", implicit_mx=True)
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertTrue(sink.messages[0]["tls"])
        self.assertRegex(r.read_log(), r"domain=dane\.test relay=dane\.test\[127\.0\.0\.31\]:\d+ .*tls_policy=tlsa ")
        code, out = self.tls_policy(r, "dane.test")
        self.assertEqual(code, 0, out)
        self.assertIn("mx: none (implicit MX: the domain itself), denial DNSSEC-signed", out)
        self.assertIn("implicit MX", out)
        self.assertIn(f"tlsa: 3 1 1 {spki}", out)

    def test_implicit_mx_with_a_wrong_tlsa_is_deferred_never_plaintext(self):
        cert, key, _ = self.pki.leaf("dane.test")
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay("3 1 1 " + "ab" * 32, implicit_mx=True)
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])
        self.assertIn("tlsa-invalid", r.read_log())

    def test_bogus_zone_is_a_temporary_failure(self):
        cert, key, spki = self.pki.leaf("mx.dane.test", self_signed=True)
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay(f"3 1 1 {spki}", anchor_mismatch=True)
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])

    def test_override_may_ignores_dane(self):
        cert, key, _ = self.pki.leaf("mx.dane.test")
        sink = self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay("3 1 1 " + "ab" * 32, relay_extra='tls_policy = { "dane.test" = "may" }\n')
        _, reply = send(r, ["dane@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("tls_policy=no-policy-found", r.read_log())

    # --- MTA-STS ------------------------------------------------------------------------

    ENFORCE = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n"

    def test_mta_sts_enforce_with_a_valid_certificate_delivers(self):
        r, sink = self.sts_relay(self.ENFORCE, self.pki.leaf("mx.sts.test"))
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertTrue(sink.messages[0]["tls"])
        self.assertIn("tls_policy=sts", r.read_log())

    def test_mta_sts_enforce_with_an_untrusted_certificate_is_deferred(self):
        r, sink = self.sts_relay(self.ENFORCE, self.pki.leaf("mx.sts.test", self_signed=True))
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])

    def test_mta_sts_enforce_with_an_expired_certificate_is_deferred(self):
        r, sink = self.sts_relay(self.ENFORCE, self.pki.leaf("mx.sts.test", expired=True))
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])
        self.assertIn("certificate-expired", r.read_log())

    def test_mta_sts_enforce_without_starttls_is_deferred(self):
        r, sink = self.sts_relay(self.ENFORCE, None)
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])

    def test_mta_sts_enforce_mx_not_listed_is_deferred_without_connecting(self):
        policy = "version: STSv1\nmode: enforce\nmx: other.sts.test\nmax_age: 86400\n"
        r, sink = self.sts_relay(policy, self.pki.leaf("mx.sts.test"))
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])

    def test_mta_sts_testing_mode_delivers_despite_a_bad_certificate(self):
        policy = "version: STSv1\nmode: testing\nmx: mx.sts.test\nmax_age: 86400\n"
        r, sink = self.sts_relay(policy, self.pki.leaf("mx.sts.test", self_signed=True))
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("tls_policy=sts", r.read_log())

    def test_oversized_policy_is_no_policy(self):
        # A policy over the size limit cannot be had: with nothing cached, no policy applies
        # (RFC 8461 §3.3), so the self-signed certificate does not stop the delivery.
        policy = self.ENFORCE + "x-padding: " + "p" * 200 + "\n"
        r, sink = self.sts_relay(policy, self.pki.leaf("mx.sts.test", self_signed=True),
                                 relay_extra="mta_sts_max_policy_size = 100\n")
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("tls_policy=no-policy-found", r.read_log())

    def test_policy_of_exactly_the_size_limit_is_taken(self):
        # mta_sts_max_policy_size is the largest body taken: exactly that size is enforced
        # (the self-signed MX is refused), one octet less as a limit is no policy (delivered).
        for limit, enforced in ((len(self.ENFORCE), True), (len(self.ENFORCE) - 1, False)):
            with self.subTest(limit=limit):
                r, sink = self.sts_relay(self.ENFORCE, self.pki.leaf("mx.sts.test", self_signed=True),
                                         relay_extra=f"mta_sts_max_policy_size = {limit}\n")
                _, reply = send(r, ["sts@hikyaku.example"])
                if enforced:
                    self.assertTrue(reply.startswith("451"), reply)
                    self.assertEqual(sink.messages, [])
                else:
                    self.assertTrue(reply.startswith("250"), reply)
                    self.assertIn("tls_policy=no-policy-found", r.read_log())
                sink.stop()
                self.sinks.remove(sink)
                self.servers.pop().stop()
                self.nsd.stop()
                self.nsd = None

    def test_policy_served_as_html_is_no_policy(self):
        r, sink = self.sts_relay(self.ENFORCE, self.pki.leaf("mx.sts.test", self_signed=True),
                                 content_type="text/html")
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        self.assertIn("tls_policy=no-policy-found", r.read_log())

    def test_fetch_answered_before_the_timeout_is_enforced_one_never_answered_is_no_policy(self):
        # [relay] mta_sts_fetch_timeout bounds the whole fetch. A policy server answering 2.5 s
        # into a 4 s timeout gives the policy (the self-signed MX is refused: deferred); one that
        # never answers is a fetch error at 4 s, and with nothing cached the domain has no
        # policy (RFC 8461 §5: delivered as opportunistic TLS would).
        for delay, enforced in ((2.5, True), ("never", False)):
            with self.subTest(delay=delay):
                r, sink = self.sts_relay(self.ENFORCE, self.pki.leaf("mx.sts.test", self_signed=True),
                                         delay=delay, fetch_timeout="4s")
                try:
                    started = time.monotonic()
                    _, reply = send(r, ["sts@hikyaku.example"])
                    took = time.monotonic() - started
                    log = r.read_log()
                    if enforced:
                        self.assertTrue(reply.startswith("451"), reply)
                        self.assertEqual(sink.messages, [])
                        self.assertGreaterEqual(took, 2.5)
                        self.assertIn("tls_policy=sts", log)
                        self.assertIn("certificate-not-trusted", log)
                        self.assertNotIn("sts-policy-fetch-error", log)
                    else:
                        self.assertTrue(reply.startswith("250"), reply)
                        self.assertEqual(len(sink.messages), 1)
                        self.assertGreaterEqual(took, 4.0)  # not given up before the timeout
                        self.assertLess(took, 60)
                        self.assertIn("MTA-STS policy for sts.test: sts-policy-fetch-error: "
                                      "mta-sts.sts.test: timed out (no cached policy)", log)
                        self.assertIn("tls_policy=no-policy-found", log)
                finally:
                    sink.stop()
                    self.sinks.remove(sink)
                    self.servers.pop().stop()
                    self.assertEqual(r.stop(), 0)
                    self.relays.remove(r)
                    self.nsd.stop()
                    self.nsd = None

    def test_fetched_policy_outlives_a_restart_with_the_policy_server_down(self):
        # RFC 8461 §5.1: the policy is cached in the spool until max_age; a restarted relay
        # whose fetch an attacker blocks still refuses the MX the policy does not list.
        policy = "version: STSv1\nmode: enforce\nmx: other.sts.test\nmax_age: 86400\n"
        r, sink = self.sts_relay(policy, self.pki.leaf("mx.sts.test"))
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        kept = os.path.join(r.spool, "mta-sts", "sts.test")
        deadline = time.time() + 60
        while not os.path.exists(kept) and time.time() < deadline:
            time.sleep(0.05)
        with open(kept) as f:
            text = f.read()
        self.assertTrue(text.startswith("hikyaku-mta-sts-cache: 1\ndomain: sts.test\nid: 20261207\n"), text)
        self.assertTrue(text.endswith("\n\n" + policy), text)
        self.assertEqual(r.stop(), 0)
        server = self.servers.pop()
        server.stop()
        r.start()
        _, reply = send(r, ["sts@hikyaku.example"])
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(sink.messages, [])
        log = r.read_log()
        self.assertIn("tls_policy=sts", log)
        self.assertIn("TLS policy for sts.test defers delivery: no MX host may be used: "
                      "MTA-STS policy in enforce mode", log)
        # The spool's scan at start knows the directory: nothing skipped as corrupt.
        self.assertIn("0 file(s) skipped", log)
        self.assertNotIn("skipped spool file", log)
        # hikyaku tls-policy reads the kept policy too, and says the hop is deferred.
        code, out = self.tls_policy(r, "sts.test")
        self.assertEqual(code, 1, out)
        self.assertIn("mta-sts: mode enforce", out)
        self.assertIn("result: deferred", out)

    # --- hikyaku tls-policy ---------------------------------------------------------------

    def tls_policy(self, relay, domain):
        p = subprocess.run([HIKYAKU, "tls-policy", domain, "-c", relay.config_path],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def test_tls_policy_shows_dane_and_its_records(self):
        cert, key, spki = self.pki.leaf("mx.dane.test", self_signed=True)
        self.sink("127.0.0.31", server_context(cert, key))
        r = self.dane_relay(f"3 1 1 {spki}")
        code, out = self.tls_policy(r, "dane.test")
        self.assertEqual(code, 0, out)
        self.assertIn("mx: found, DNSSEC-signed", out)
        self.assertIn("policy: tlsa", out)
        self.assertIn("host: mx.dane.test dane:", out)
        self.assertIn(f"tlsa: 3 1 1 {spki}", out)

    def test_tls_policy_shows_a_deferral(self):
        policy = "version: STSv1\nmode: enforce\nmx: other.sts.test\nmax_age: 86400\n"
        r, _ = self.sts_relay(policy, self.pki.leaf("mx.sts.test"))
        code, out = self.tls_policy(r, "sts.test")
        self.assertEqual(code, 1, out)
        self.assertIn("mta-sts: mode enforce", out)
        self.assertIn("host: mx.sts.test not used", out)
        self.assertIn("result: deferred", out)


if __name__ == "__main__":
    unittest.main()
