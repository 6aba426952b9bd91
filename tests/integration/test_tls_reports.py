"""RFC 8460 TLS reports, end to end.

NSD serves two DNSSEC-signed zones (a destination whose TLSA record matches its MX and one whose
record does not), an MTA-STS destination (policy over loopback HTTPS, certificate from the
test's CA), a destination without STARTTLS, and the reports' own domain. Each destination
publishes `_smtp._tls` with a mailto: rua (an aiosmtpd sink) and an https: rua (a loopback HTTPS
server). The relay forwards one message to each; its records survive a restart
(`hikyaku tls-report` shows the pending day before and after); `hikyaku tls-report --send` has
the running server send them now. The report mails arrive DKIM-signed (python3-dkim verifies),
their gzip JSON validates against the RFC 8460 §4.4 schema (tests/integration/data) and counts
exactly what was sent; the HTTPS endpoint gets the same reports.
"""
import base64
import email
import gzip
import http.server
import json
import os
import subprocess
import time
import unittest

import dkim
import jsonschema

from harness import HIKYAKU
from nsd_harness import NsdServer
from test_forwarding import ORIGIN_ZONE, send
from test_outbound_tls import LoopbackHttps, PolicyServer, TlsDestinationsTestCase, server_context, signed_zone

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tlsrpt-report.schema.json")

RULES = """
[[domain]]
name = "hikyaku.example"
[[domain.rule]]
address = "dane"
forward = ["user@dane.test"]
[[domain.rule]]
address = "danebad"
forward = ["user@danebad.test"]
[[domain.rule]]
address = "sts"
forward = ["user@sts.test"]
[[domain.rule]]
address = "plain"
forward = ["user@plain.test"]
"""

STS_POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n"


class ReportEndpoint(LoopbackHttps):
    """HTTPS on a loopback address taking POSTed reports."""

    def __init__(self, address, cert, key, failures=0):
        """The first `failures` POSTs are answered 500."""
        self.posts = []
        posts = self.posts
        left = [failures]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                posts.append({"path": self.path, "type": self.headers.get("Content-Type"),
                              "body": self.rfile.read(length)})
                failing = left[0] > 0
                left[0] -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(address, cert, key, Handler)


def rpt_record(endpoint_port):
    return (f'_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test,'
            f'https://rpt.reports.test:{endpoint_port}/v1/tlsrpt"\n')


class TlsReports(TlsDestinationsTestCase):

    def dkim_key(self):
        pem = os.path.join(self.workdir, "rpt.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", pem], check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

    def tls_report(self, relay, *args):
        p = subprocess.run([HIKYAKU, "tls-report", "-c", relay.config_path, *args],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def pending_counts(self, relay):
        """{policy domain: (successful, failed)} of today's pending reports, from the CLI."""
        code, out, err = self.tls_report(relay)
        self.assertEqual(code, 0, err)
        counts = {}
        for report in json.loads(out):
            for p in report["policies"]:
                d = p["policy"]["policy-domain"]
                ok, failed = counts.get(d, (0, 0))
                counts[d] = (ok + p["summary"]["total-successful-session-count"],
                             failed + p["summary"]["total-failure-session-count"])
        return counts

    def wait_for_counts(self, relay, expected, timeout=60):
        deadline = time.time() + timeout
        counts = None
        while time.time() < deadline:
            counts = self.pending_counts(relay)
            if counts == expected:
                return counts
            time.sleep(0.2)
        self.fail(f"pending counts {counts}, expected {expected}\n{relay.read_log()[-4000:]}")

    def test_reports_are_counted_kept_signed_mailed_and_posted(self):
        # Destinations: DANE matching (self-signed MX cert named by its TLSA record), DANE
        # mismatching, MTA-STS enforce with a CA-signed MX cert, no policy and no STARTTLS.
        dane_cert, dane_key, dane_spki = self.pki.leaf("mx.dane.test", self_signed=True)
        bad_cert, bad_key, _ = self.pki.leaf("mx.danebad.test")
        sts_cert, sts_key, _ = self.pki.leaf("mx.sts.test")
        self.sink("127.0.0.31", server_context(dane_cert, dane_key))
        self.sink("127.0.0.36", server_context(bad_cert, bad_key))
        self.sink("127.0.0.32", server_context(sts_cert, sts_key))
        plain = self.sink("127.0.0.37")  # no STARTTLS offered
        reports_sink = self.sink("127.0.0.34")
        endpoint = ReportEndpoint("127.0.0.35", *self.pki.leaf("rpt.reports.test")[:2])
        self.servers.append(endpoint)
        policy = PolicyServer("127.0.0.33", *self.pki.leaf("mta-sts.sts.test")[:2], STS_POLICY)
        self.servers.append(policy)

        rpt = rpt_record(endpoint.port)
        dane_zone, dane_ds = signed_zone(self.workdir, "dane.test",
                                         f"@ IN MX 10 mx\nmx IN A 127.0.0.31\n"
                                         f"_25._tcp.mx IN TLSA 3 1 1 {dane_spki}\n" + rpt)
        bad_zone, bad_ds = signed_zone(self.workdir, "danebad.test",
                                       "@ IN MX 10 mx\nmx IN A 127.0.0.36\n"
                                       "_25._tcp.mx IN TLSA 3 1 1 " + "ab" * 32 + "\n" + rpt)
        anchor = os.path.join(self.workdir, "anchor.ds")
        with open(anchor, "w") as f:
            f.write(dane_ds + bad_ds)
        head = "$TTL 60\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n"
        zones = {
            "dane.test": dane_zone,
            "danebad.test": bad_zone,
            "sts.test": ("$ORIGIN sts.test.\n" + head + "@ IN MX 10 mx\nmx IN A 127.0.0.32\n"
                         '_mta-sts IN TXT "v=STSv1; id=20261207"\nmta-sts IN A 127.0.0.33\n' + rpt),
            "plain.test": "$ORIGIN plain.test.\n" + head + "@ IN MX 10 mx\nmx IN A 127.0.0.37\n" + rpt,
            "reports.test": ("$ORIGIN reports.test.\n" + head + "@ IN MX 10 mx\nmx IN A 127.0.0.34\n"
                             "rpt IN A 127.0.0.35\n"),
            "origin.example": ORIGIN_ZONE,
        }
        self.nsd = NsdServer(zones).start()
        pem, dkim_record = self.dkim_key()
        extra = (f'[[dkim.key]]\ndomain = "fwd.hikyaku.example"\nselector = "rpt26"\n'
                 f'algorithm = "rsa-sha256"\nprivate_key = "{pem}"\n'
                 '[reports]\ntls_reports = true\norganization_name = "Hikyaku Test"\n' + RULES)
        relay_extra = (f'tls_ca_file = "{self.pki.ca_path}"\nmta_sts_port = {policy.port}\n'
                       'mta_sts_fetch_timeout = "5s"\n')
        r = self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=extra,
                       trust_anchor=anchor, relay_extra=relay_extra)

        for rcpt, expect in (("dane", "250"), ("danebad", "451"), ("sts", "250"), ("plain", "250")):
            _, reply = send(r, [f"{rcpt}@hikyaku.example"])
            self.assertTrue(reply.startswith(expect), f"{rcpt}: {reply}")
        self.assertEqual(len(plain.messages), 1)
        self.assertFalse(plain.messages[0]["tls"])
        expected = {"dane.test": (1, 0), "danebad.test": (0, 1), "sts.test": (1, 0), "plain.test": (0, 1)}
        self.wait_for_counts(r, expected)

        # Durability: the pending day is still there after a restart (SIGTERM, then start).
        self.assertEqual(r.stop(), 0)
        self.assertEqual(self.pending_counts(r), expected)
        r.start()
        self.assertEqual(self.pending_counts(r), expected)

        code, out, err = self.tls_report(r, "--send")
        self.assertEqual(code, 0, err + r.read_log()[-3000:])
        self.assertIn("day(s) of reports sent", out)
        self.assertTrue(reports_sink.wait_for(4, timeout=60), r.read_log()[-4000:])
        deadline = time.time() + 60
        while len(endpoint.posts) < 4 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(len(endpoint.posts), 4, r.read_log()[-4000:])
        # The day is gone from the store once sent.
        self.assertEqual(self.pending_counts(r), {})

        with open(SCHEMA_PATH) as f:
            schema = json.load(f)
        checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        records = {"rpt26._domainkey.fwd.hikyaku.example.": dkim_record}

        def dnsfunc(name, timeout=5):
            return records.get(name.decode() if isinstance(name, bytes) else name, "").encode()

        mailed = {}
        for m in reports_sink.messages:
            data = m["data"]
            self.assertTrue(dkim.verify(data, dnsfunc=dnsfunc), data[:600])
            msg = email.message_from_bytes(data)
            self.assertEqual(msg.get_content_type(), "multipart/report")
            self.assertEqual(msg.get_param("report-type"), "tlsrpt")
            self.assertEqual(msg["TLS-Report-Submitter"], "fwd.hikyaku.example")
            self.assertEqual(m["mail_from"], "reports@fwd.hikyaku.example")
            self.assertEqual(m["rcpt_tos"], ["tlsrpt@reports.test"])
            domain = msg["TLS-Report-Domain"]
            parts = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"]
            self.assertEqual(len(parts), 1)
            filename = parts[0].get_filename()
            self.assertTrue(filename.startswith(f"fwd.hikyaku.example!{domain}!"), filename)
            self.assertTrue(filename.endswith(".json.gz"), filename)
            report = json.loads(gzip.decompress(parts[0].get_payload(decode=True)))
            checker.validate(report)
            self.assertEqual(msg["Subject"].split(), ["Report", "Domain:", domain, "Submitter:",
                                                      "fwd.hikyaku.example", "Report-ID:",
                                                      f"<{report['report-id']}>"])
            self.assertEqual(report["organization-name"], "Hikyaku Test")
            mailed[domain] = report

        posted = {}
        for p in endpoint.posts:
            self.assertEqual(p["path"], "/v1/tlsrpt")
            self.assertEqual(p["type"], "application/tlsrpt+gzip")
            report = json.loads(gzip.decompress(p["body"]))
            checker.validate(report)
            posted[report["policies"][0]["policy"]["policy-domain"]] = report
        self.assertEqual(mailed, posted)
        self.assertEqual(sorted(mailed), sorted(expected))

        def only_policy(domain):
            policies = mailed[domain]["policies"]
            self.assertEqual(len(policies), 1, policies)
            return policies[0]

        dane = only_policy("dane.test")
        self.assertEqual(dane["policy"]["policy-type"], "tlsa")
        self.assertEqual(dane["policy"]["policy-string"], [f"3 1 1 {dane_spki}"])
        self.assertEqual(dane["policy"]["mx-host"], ["mx.dane.test"])
        self.assertEqual(dane["summary"], {"total-successful-session-count": 1,
                                           "total-failure-session-count": 0})
        bad = only_policy("danebad.test")
        self.assertEqual(bad["policy"]["policy-type"], "tlsa")
        self.assertEqual(bad["summary"]["total-failure-session-count"], 1)
        [detail] = bad["failure-details"]
        self.assertEqual(detail["result-type"], "tlsa-invalid")
        self.assertEqual(detail["receiving-mx-hostname"], "mx.danebad.test")
        self.assertEqual(detail["receiving-ip"], "127.0.0.36")
        self.assertEqual(detail["failed-session-count"], 1)
        self.assertIn("sending-mta-ip", detail)
        sts = only_policy("sts.test")
        self.assertEqual(sts["policy"]["policy-type"], "sts")
        self.assertEqual(sts["policy"]["policy-string"],
                         ["version: STSv1", "mode: enforce", "mx: mx.sts.test", "max_age: 86400"])
        self.assertEqual(sts["policy"]["mx-host"], ["mx.sts.test"])
        self.assertEqual(sts["summary"]["total-successful-session-count"], 1)
        none = only_policy("plain.test")
        self.assertEqual(none["policy"]["policy-type"], "no-policy-found")
        self.assertEqual(none["summary"], {"total-successful-session-count": 0,
                                           "total-failure-session-count": 1})
        self.assertEqual(none["failure-details"][0]["result-type"], "starttls-not-supported")

    def test_a_failed_post_keeps_the_day_without_mailing_twice(self):
        cert, key, _ = self.pki.leaf("mx.plain.test")
        sink = self.sink("127.0.0.37", server_context(cert, key))
        reports_sink = self.sink("127.0.0.34")
        endpoint = ReportEndpoint("127.0.0.35", *self.pki.leaf("rpt.reports.test")[:2], failures=1)
        self.servers.append(endpoint)
        head = "$TTL 60\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n"
        self.nsd = NsdServer({
            "plain.test": ("$ORIGIN plain.test.\n" + head + "@ IN MX 10 mx\nmx IN A 127.0.0.37\n" +
                           rpt_record(endpoint.port)),
            "reports.test": ("$ORIGIN reports.test.\n" + head + "@ IN MX 10 mx\nmx IN A 127.0.0.34\n"
                             "rpt IN A 127.0.0.35\n"),
            "origin.example": ORIGIN_ZONE}).start()
        r = self.relay(dns=self.nsd.address, relay_port=self.port,
                       relay_extra=f'tls_ca_file = "{self.pki.ca_path}"\n',
                       domains_extra="[reports]\ntls_reports = true\n" + RULES)
        _, reply = send(r, ["plain@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertTrue(sink.messages[0]["tls"])
        self.wait_for_counts(r, {"plain.test": (1, 0)})
        # The POST fails: the mail is queued, the day is kept.
        code, out, err = self.tls_report(r, "--send")
        self.assertEqual(code, 0, err)
        self.assertIn("0 day(s) of reports sent", out)
        self.assertEqual(len(endpoint.posts), 1)
        self.assertIn("HTTP status 500", r.read_log())
        self.assertEqual(self.pending_counts(r), {"plain.test": (1, 0)})
        self.assertTrue(reports_sink.wait_for(1, timeout=60), r.read_log()[-3000:])
        # The next run posts again and does not mail the same report a second time.
        code, out, err = self.tls_report(r, "--send")
        self.assertEqual(code, 0, err)
        self.assertIn("1 day(s) of reports sent", out)
        self.assertEqual(len(endpoint.posts), 2)
        self.assertEqual(endpoint.posts[0]["body"], endpoint.posts[1]["body"])
        log = r.read_log()
        self.assertEqual(log.count("sent to mailto:tlsrpt@reports.test"), 1, log[-3000:])
        self.assertEqual(log.count(f"sent to https://rpt.reports.test:{endpoint.port}/v1/tlsrpt"), 1)
        self.assertEqual(self.pending_counts(r), {})
        # Out of range: a bad --day is a usage error.
        code, _, err = self.tls_report(r, "--day", "2026-13-01")
        self.assertEqual(code, 2)
        self.assertIn("YYYY-MM-DD", err)
        self.assertEqual(len(reports_sink.messages), 1)

    def test_a_domain_without_a_tls_rpt_record_is_not_recorded(self):
        cert, key, _ = self.pki.leaf("mx.plain.test")
        sink = self.sink("127.0.0.37", server_context(cert, key))
        head = "$TTL 60\n@ IN SOA ns h 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n"
        self.nsd = NsdServer({"plain.test": "$ORIGIN plain.test.\n" + head +
                                            "@ IN MX 10 mx\nmx IN A 127.0.0.37\n",
                              "origin.example": ORIGIN_ZONE}).start()
        r = self.relay(dns=self.nsd.address, relay_port=self.port,
                       domains_extra="[reports]\ntls_reports = true\n" + RULES)
        _, reply = send(r, ["plain@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(sink.messages), 1)
        # The recording ends with the _smtp._tls lookup's answer, which the relay logs.
        self.assertTrue(r.wait_for_log("tls-report: plain.test publishes no usable TLS-RPT record"),
                        r.read_log()[-3000:])
        r.stop()
        self.assertEqual(self.pending_counts(r), {})
        spool_reports = os.path.join(r.spool, "reports", "tls")
        files = os.listdir(spool_reports) if os.path.isdir(spool_reports) else []
        self.assertEqual([f for f in files if f.endswith(".log")], [])


if __name__ == "__main__":
    unittest.main()
