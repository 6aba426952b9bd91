"""DMARC aggregate reports as a receiver (RFC 9990) end to end: NSD serves senders' DMARC records
with rua= (one destination in the sender's own Organizational Domain, one external destination
that publishes the `_report._dmarc` consent and one that does not); clients present
documentation-range addresses through a PROXY listener so messages pass, fail under
p=quarantine (forwarded) and fail under p=reject (refused); the relay is restarted in the middle
(the day's records are on disk); `hikyaku dmarc-report` shows the pending day; then the day is
made yesterday's and the relay, started again, sends its reports at start-up. The report mails
arrive at an aiosmtpd sink, DKIM-verify with python3-dkim, the gunzipped XML validates against
RFC 9990's schema with xmllint, the counts per row match what was sent, and the unauthorized
external destination gets nothing."""
import base64
import datetime
import email
import email.policy
import gzip
import os
import re
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET

import dkim

from harness import HIKYAKU, RelayTestCase, SmtpClient, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink

XSD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "dmarc-aggregate-report.xsd")
NS = {"d": "urn:ietf:params:xml:ns:dmarc-2.0"}
FWD = "fwd.hikyaku.example"  # the forwarding domain: DKIM signer and reports sender
PASS_IP, FAIL_IP = "192.0.2.10", "203.0.113.5"


def zone(origin, body):
    return (f"$ORIGIN {origin}.\n$TTL 60\n"
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
            f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + body)


MX = "@ IN MX 10 mx\nmx IN A 127.0.0.1\n"
SPF = '@ IN TXT "v=spf1 ip4:192.0.2.0/25 -all"\n'


def message(frm, n):
    return (f"From: Alice <{frm}>\r\nTo: info@hikyaku.example\r\nSubject: report test {n}\r\n"
            f"Date: Mon, 07 Dec 2026 18:00:00 +0000\r\nMessage-ID: <{time.time_ns()}.{n}@test>\r\n"
            "\r\nHello from the DMARC report test.\r\n").encode()


class DmarcAggregateReports(RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.zones = {
            "dest.example": zone("dest.example", MX),
            # p=quarantine, reports to its own domain (no consent needed).
            "same.example": zone("same.example", MX + SPF +
                                 '_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:agg@same.example"\n'),
            # p=reject, reports to two external hosts; only reports.example consents.
            "ext.example": zone("ext.example", SPF +
                                '_dmarc IN TXT "v=DMARC1; p=reject; '
                                'rua=mailto:dmarc@reports.example,mailto:dmarc@noauth.example"\n'),
            "reports.example": zone("reports.example",
                                    MX + 'ext.example._report._dmarc IN TXT "v=DMARC1;"\n'),
            "noauth.example": zone("noauth.example", MX),
            # A record without rua=: evaluated, never recorded.
            "quiet.example": zone("quiet.example", SPF + '_dmarc IN TXT "v=DMARC1; p=reject"\n'),
        }
        cls.nsd = NsdServer(cls.zones).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.sink = AcceptingSink("127.0.0.1", self.port).start()
        pem = os.path.join(self.workdir, "rep26.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", pem], check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.dkim_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
        self.proxy_port = free_port()
        self.extra = (f'[[dkim.key]]\ndomain = "{FWD}"\nselector = "rep26"\nalgorithm = "rsa-sha256"\n'
                      f'private_key = "{pem}"\n'
                      '[[domain]]\nname = "hikyaku.example"\n'
                      '[[domain.rule]]\naddress = "info"\nforward = ["user@dest.example"]\n')

    def tearDown(self):
        self.sink.stop()
        super().tearDown()

    def start(self, reports='dmarc_reports = true', port=None):
        """A relay; `port` given: the same listener and spool as an earlier one (a restart)."""
        kwargs = {"port": port} if port else {}
        return self.relay(dns=self.nsd.address, relay_port=self.port, proxy_port=self.proxy_port,
                          domains_extra=f"[reports]\n{reports}\n" + self.extra, **kwargs)

    def send(self, mail_from, client_ip, n):
        c = SmtpClient(self.proxy_port, prefix=f"PROXY TCP4 {client_ip} 127.0.0.1 40000 25\r\n".encode())
        self.assertTrue(c.command("EHLO client.example").startswith("250"))
        self.assertTrue(c.command(f"MAIL FROM:<{mail_from}>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<info@hikyaku.example>").startswith("250"))
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send(message(mail_from, n) + b".\r\n")
        reply = c.reply()
        c.command("QUIT")
        c.close()
        return reply

    def send_expect(self, mail_from, client_ip, code, n):
        reply = self.send(mail_from, client_ip, n)
        self.assertTrue(reply.startswith(code), f"{mail_from} from {client_ip}: {reply}")

    def store_dir(self, relay):
        return os.path.join(relay.spool, "reports", "dmarc")

    def report_mails(self):
        return [m for m in self.sink.messages if m["rcpt_tos"] != ["user@dest.example"]]

    def validate(self, xml_bytes):
        path = os.path.join(self.workdir, f"report-{time.time_ns()}.xml")
        with open(path, "wb") as f:
            f.write(xml_bytes)
        out = subprocess.run(["xmllint", "--noout", "--schema", XSD, path], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr + xml_bytes.decode(errors="replace")[:3000])

    @staticmethod
    def rows(root):
        """{(source_ip, disposition, dkim, spf): count} of a parsed report."""
        out = {}
        for rec in root.findall("d:record", NS):
            row = rec.find("d:row", NS)
            pe = row.find("d:policy_evaluated", NS)
            key = (row.findtext("d:source_ip", namespaces=NS), pe.findtext("d:disposition", namespaces=NS),
                   pe.findtext("d:dkim", namespaces=NS), pe.findtext("d:spf", namespaces=NS))
            out[key] = out.get(key, 0) + int(row.findtext("d:count", namespaces=NS))
        return out

    def test_daily_reports_sent_validated_counted_and_durable(self):
        r = self.start()
        n = iter(range(1000))
        # First run of the relay.
        self.send_expect("a@same.example", PASS_IP, "250", next(n))   # pass (SPF aligned)
        self.send_expect("a@same.example", PASS_IP, "250", next(n))
        self.send_expect("a@same.example", FAIL_IP, "250", next(n))   # fail, p=quarantine: forwarded
        self.send_expect("b@ext.example", PASS_IP, "250", next(n))
        self.send_expect("b@ext.example", FAIL_IP, "550", next(n))    # fail, p=reject: refused
        self.send_expect("c@quiet.example", FAIL_IP, "550", next(n))  # no rua=: not recorded
        self.assertTrue(self.sink.wait_for(4), len(self.sink.messages))
        # The records survive a restart (SIGTERM flushes; the day's file stays).
        self.assertEqual(r.stop(), 0, r.read_log()[-3000:])
        self.relays.remove(r)
        today = datetime.datetime.now(datetime.timezone.utc).date()
        day_file = os.path.join(self.store_dir(r), f"{today.isoformat()}.log")
        self.assertTrue(os.path.exists(day_file), os.listdir(self.store_dir(r)))
        r = self.start(port=r.port)
        self.send_expect("a@same.example", FAIL_IP, "250", next(n))
        self.send_expect("b@ext.example", FAIL_IP, "550", next(n))
        self.assertTrue(self.sink.wait_for(5), len(self.sink.messages))
        self.assertEqual(r.stop(), 0, r.read_log()[-3000:])
        self.relays.remove(r)
        with open(day_file) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 7, lines)
        self.assertFalse(any("quiet.example" in line for line in lines), lines)

        # The pending day, shown without sending.
        shown = subprocess.run([HIKYAKU, "dmarc-report", "-c", r.config_path, "--day", today.isoformat()],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        docs = re.findall(r"<\?xml.*?</feedback>\n", shown.stdout, re.S)
        self.assertEqual(len(docs), 2, shown.stdout)
        for doc in docs:
            self.validate(doc.encode())
        self.assertIn("agg@same.example", shown.stdout)
        self.assertIn("dmarc@reports.example", shown.stdout)
        self.assertEqual(self.report_mails(), [])

        # The day becomes yesterday's: the next start sends it (a day missed while stopped).
        yesterday = today - datetime.timedelta(days=1)
        os.rename(day_file, os.path.join(self.store_dir(r), f"{yesterday.isoformat()}.log"))
        r = self.start(port=r.port)
        deadline = time.time() + 60
        while len(self.report_mails()) < 2 and time.time() < deadline:
            time.sleep(0.1)
        mails = self.report_mails()
        self.assertEqual(len(mails), 2, r.read_log()[-4000:])
        # The day is done (every report queued) before the negative checks: the unauthorized
        # external destination was skipped and nothing was queued to it.
        self.assertTrue(r.wait_for_log(f"reports: dmarc reports of {yesterday.isoformat()} sent"), r.read_log()[-4000:])
        log = r.read_log()
        self.assertIn("not sent to mailto:dmarc@noauth.example: external destination not authorized", log)
        self.assertNotIn("queued to dmarc@noauth.example", log)
        self.assertEqual(sorted(m["rcpt_tos"][0] for m in mails), ["agg@same.example", "dmarc@reports.example"])

        begin = int(datetime.datetime(yesterday.year, yesterday.month, yesterday.day,
                                      tzinfo=datetime.timezone.utc).timestamp())
        records = {f"rep26._domainkey.{FWD}.": self.dkim_record}
        expected = {
            "same.example": {(PASS_IP, "pass", "fail", "pass"): 2, (FAIL_IP, "quarantine", "fail", "fail"): 2},
            "ext.example": {(PASS_IP, "pass", "fail", "pass"): 1, (FAIL_IP, "reject", "fail", "fail"): 2},
        }
        for m in mails:
            data = m["data"]
            self.assertTrue(dkim.verify(data, dnsfunc=lambda name, timeout=5: records.get(
                name.decode() if isinstance(name, bytes) else name, "").encode()), data[:2000])
            msg = email.message_from_bytes(data, policy=email.policy.default)
            subject = str(msg["Subject"])
            match = re.fullmatch(r"Report Domain: (\S+) Submitter: (\S+) Report-ID: (\w+)", " ".join(subject.split()))
            self.assertIsNotNone(match, subject)
            policy_domain, submitter, report_id = match.groups()
            self.assertEqual(submitter, FWD)
            self.assertTrue(m["mail_from"].endswith("@" + FWD), m["mail_from"])
            self.assertIn(FWD, str(msg["From"]))
            parts = [p for p in msg.walk() if p.get_content_type() == "application/gzip"]
            self.assertEqual(len(parts), 1, [p.get_content_type() for p in msg.walk()])
            filename = parts[0].get_filename()
            self.assertEqual(filename, f"{FWD}!{policy_domain}!{begin}!{begin + 86399}!{report_id}.xml.gz")
            xml = gzip.decompress(parts[0].get_payload(decode=True))
            self.validate(xml)
            root = ET.fromstring(xml)
            self.assertEqual(root.findtext("d:report_metadata/d:report_id", namespaces=NS), report_id)
            self.assertEqual(root.findtext("d:policy_published/d:domain", namespaces=NS), policy_domain)
            self.assertEqual(int(root.findtext("d:report_metadata/d:date_range/d:begin", namespaces=NS)), begin)
            self.assertEqual(self.rows(root), expected[policy_domain], xml.decode())
        # Sent days are removed from the store.
        self.assertFalse(os.path.exists(os.path.join(self.store_dir(r), f"{yesterday.isoformat()}.log")))

    def test_switched_off_records_nothing(self):
        r = self.start(reports="dmarc_reports = false")
        self.send_expect("a@same.example", PASS_IP, "250", 1)
        self.send_expect("b@ext.example", FAIL_IP, "550", 2)
        self.assertTrue(r.wait_for_log("dmarc=fail p=reject: refused"), r.read_log()[-3000:])
        self.assertEqual(r.stop(), 0)
        self.relays.remove(r)
        store = self.store_dir(r)
        self.assertEqual(os.listdir(store) if os.path.isdir(store) else [], [])


if __name__ == "__main__":
    unittest.main()
