"""The metrics and health endpoint ([metrics] listen, docs/metrics.md) of a running relay.

Scrapes /metrics before and after a known set of SMTP sessions, parses both with the Prometheus
client library's text parser, and checks that every counter moved by exactly what the sessions
did; checks every series of each label set is there at 0 before any traffic, that the documented
metric list equals the exported one, and the /livez, /readyz (including while draining) and
error answers.
"""
import http.client
import itertools
import os
import re
import signal
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import RelayTestCase, SmtpClient, free_port

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "metrics.md")

DROPPED_DOMAIN = """
[[domain]]
name = "dropped.example"
catch_all = { action = "drop" }
"""

COMMANDS = ["none", "helo", "ehlo", "mail", "rcpt", "data", "rset", "noop", "quit", "vrfy", "expn",
            "help", "starttls", "unknown"]
OUTCOMES = ["sent", "queued", "deferred", "refused", "discarded"]


def http_get(port, path, method="GET", headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def scrape(port):
    """{(sample name, frozenset(labels)): value}, plus the family names, from /metrics."""
    status, ctype, body = http_get(port, "/metrics")
    assert status == 200, (status, body)
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    samples, families = {}, set()
    for family in text_string_to_metric_families(body):
        families.add(family.name + ("_total" if family.type == "counter" else ""))
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, families


def key(name, **labels):
    return (name, frozenset(labels.items()))


def documented_names():
    with open(DOCS) as f:
        return set(re.findall(r"^\|\s*`(hikyaku_[a-z0-9_]+)`\s*\|", f.read(), re.M))


class Metrics(RelayTestCase):
    def start_relay(self, **kwargs):
        self.metrics_port = free_port()
        r = self.relay(metrics_port=self.metrics_port, domains_extra=DROPPED_DOMAIN, **kwargs)
        # /readyz is 503 until the spool's start-up scan has ended: wait for the 200.
        deadline = time.time() + 60
        last = None
        while time.time() < deadline:
            last = http_get(self.metrics_port, "/readyz")
            if last[0] == 200:
                break
            time.sleep(0.1)
        self.assertEqual(last[0], 200, last)
        self.assertEqual(last[2], "ready\n")
        self.metrics_relay = r
        return r

    def test_counters_move_by_exactly_what_the_sessions_did(self):
        r = self.start_relay()
        before, families = scrape(self.metrics_port)

        # Every series of a label set is there, at 0, before any traffic.
        for cmd, klass in itertools.product(COMMANDS, ["2xx", "3xx", "4xx", "5xx"]):
            self.assertIn(key("hikyaku_smtp_replies_total", command=cmd, **{"class": klass}), before)
        for domain, outcome in itertools.product(
                ["example.com", "catchall.example", "dropped.example", "other"], OUTCOMES):
            self.assertEqual(before[key("hikyaku_domain_messages_total", domain=domain, outcome=outcome)], 0)
        for outcome in OUTCOMES:
            self.assertEqual(before[key("hikyaku_messages_total", outcome=outcome)], 0)
        for listener, result in itertools.product(
                ["smtp", "proxy"], ["accepted", "busy", "untrusted_proxy", "bad_proxy_header"]):
            self.assertIn(key("hikyaku_smtp_connections_total", listener=listener, result=result), before)
        for method, result in itertools.product(["spf", "dkim", "dmarc"], ["pass", "fail", "none"]):
            self.assertEqual(before[key("hikyaku_auth_results_total", method=method, result=result)], 0)
        self.assertEqual(before[key("hikyaku_message_size_bytes_count")], 0)
        for state in ["active", "deferred"]:
            for name in ["hikyaku_queue_entries", "hikyaku_queue_recipients", "hikyaku_queue_bytes",
                         "hikyaku_queue_oldest_age_seconds"]:
                self.assertEqual(before[key(name, state=state)], 0, (name, state))
        for domain in ["example.com", "catchall.example", "dropped.example", "other"]:
            self.assertEqual(before[key("hikyaku_queue_domain_recipients", domain=domain)], 0, domain)
        for target in ["file", "directory"]:
            self.assertIn(key("hikyaku_spool_fsync_seconds_count", target=target), before)
        self.assertEqual(before[key("hikyaku_ready")], 1)
        self.assertEqual(before[key("hikyaku_config_reloads_total", result="success")], 0)
        self.assertEqual(before[key("hikyaku_config_last_reload_successful")], 1)
        for cmd, (code, enhanced) in itertools.product(
                COMMANDS, [("421", "4.4.2"), ("550", "5.1.1"), ("550", "other"), ("other", "other")]):
            self.assertEqual(before[key("hikyaku_smtp_error_replies_total", command=cmd, code=code,
                                        enhanced=enhanced)], 0)
        for path, result, reply in itertools.product(["session", "queue"], ["delivered", "deferred", "failed"],
                                                     ["2xx", "4xx", "5xx", "connect_failure"]):
            self.assertEqual(before[key("hikyaku_delivery_attempts_total", path=path, result=result,
                                        reply=reply)], 0)
        for result in ["proxied", "local", "invalid", "too_long", "timeout", "closed", "untrusted"]:
            self.assertEqual(before[key("hikyaku_proxy_headers_total", result=result)], 0)
        version = [k for k in before if k[0] == "hikyaku_build_info"]
        self.assertEqual(len(version), 1)
        self.assertEqual(before[version[0]], 1)
        # The documented list is the exported one.
        self.assertEqual(documented_names(), families)

        # 1. One message dropped by rules in two served domains: 2 recipients.
        c = SmtpClient(r.port)
        self.assertTrue(c.command("EHLO client.example.org").startswith("250"))
        self.assertTrue(c.command("MAIL FROM:<s@origin.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<noreply@example.com>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<anyone@dropped.example>").startswith("250"))
        self.assertTrue(c.command("DATA").startswith("354"))
        message = ("From: s@origin.example\r\nTo: noreply@example.com\r\nSubject: metrics\r\n\r\n"
                   + ("x" * 98 + "\r\n") * 20)
        c.send(message + ".\r\n")
        reply = c.reply()
        self.assertTrue(reply.startswith("250"), reply)
        self.assertTrue(c.command("QUIT").startswith("221"))
        self.assertTrue(c.closed())
        c.close()
        # 2. Unknown user, a reject rule and a domain we do not serve, all refused at RCPT; a
        # NOOP and an unknown command.
        c = SmtpClient(r.port)
        self.assertTrue(c.command("EHLO client.example.org").startswith("250"))
        self.assertTrue(c.command("MAIL FROM:<s@origin.example>").startswith("250"))
        refusals = [("rcpt", c.command("RCPT TO:<nobody@example.com>")),
                    ("rcpt", c.command("RCPT TO:<old@example.com>")),
                    ("rcpt", c.command("RCPT TO:<x@not-served.example>"))]
        self.assertTrue(c.command("NOOP").startswith("250"))
        refusals.append(("unknown", c.command("FROB")))
        self.assertTrue(all(reply.startswith("5") for _, reply in refusals), refusals)
        self.assertTrue(refusals[1][1].startswith("550"), refusals)
        self.assertTrue(c.command("QUIT").startswith("221"))
        self.assertTrue(c.closed())
        c.close()
        # 3. A reload.
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("reloaded"), r.read_log()[-3000:])

        after, _ = scrape(self.metrics_port)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
        expected = {
            key("hikyaku_smtp_connections_total", listener="smtp", result="accepted"): 2,
            key("hikyaku_smtp_replies_total", command="none", **{"class": "2xx"}): 2,   # greetings
            key("hikyaku_smtp_replies_total", command="ehlo", **{"class": "2xx"}): 2,
            key("hikyaku_smtp_replies_total", command="mail", **{"class": "2xx"}): 2,
            key("hikyaku_smtp_replies_total", command="rcpt", **{"class": "2xx"}): 2,
            key("hikyaku_smtp_replies_total", command="rcpt", **{"class": "5xx"}): 3,
            key("hikyaku_smtp_replies_total", command="data", **{"class": "3xx"}): 1,
            key("hikyaku_smtp_replies_total", command="data", **{"class": "2xx"}): 1,
            key("hikyaku_smtp_replies_total", command="noop", **{"class": "2xx"}): 1,
            key("hikyaku_smtp_replies_total", command="unknown", **{"class": "5xx"}): 1,
            key("hikyaku_smtp_replies_total", command="quit", **{"class": "2xx"}): 2,
            key("hikyaku_smtp_reply_codes_total", code="220"): 2,
            key("hikyaku_smtp_reply_codes_total", code="221"): 2,
            key("hikyaku_smtp_reply_codes_total", code="250"): 8,
            key("hikyaku_smtp_reply_codes_total", code="354"): 1,
            key("hikyaku_messages_total", outcome="discarded"): 1,
            key("hikyaku_domain_messages_total", domain="example.com", outcome="discarded"): 1,
            key("hikyaku_domain_messages_total", domain="dropped.example", outcome="discarded"): 1,
            key("hikyaku_message_recipients_count"): 1,
            key("hikyaku_message_recipients_sum"): 2,
            key("hikyaku_message_recipients_bucket", le="1"): 0,
            key("hikyaku_message_recipients_bucket", le="2"): 1,
            key("hikyaku_message_size_bytes_count"): 1,
            key("hikyaku_message_size_bytes_bucket", le="1024"): 0,
            key("hikyaku_message_size_bytes_bucket", le="4096"): 1,
            key("hikyaku_config_reloads_total", result="success"): 1,
            # One message reached its end of data and got its reply; nothing was delivered (a
            # drop rule), so no delivery stage or outbound TLS moved; no STARTTLS was asked.
            key("hikyaku_data_reply_seconds_count"): 1,
            key("hikyaku_delivery_stage_seconds_count", stage="transmit"): 0,
            key("hikyaku_tls_sessions_total", direction="in", version="none", result="failed"): 0,
        }
        # Each refusal under its command, code and enhanced code, as the client read them (all
        # are pairs the server composes, so none is counted as other).
        error_replies = {}
        for command, reply in refusals:
            code, enhanced = reply.split()[0], reply.split()[1]
            k = key("hikyaku_smtp_error_replies_total", command=command, code=code, enhanced=enhanced)
            error_replies[k] = error_replies.get(k, 0) + 1
        for k, v in error_replies.items():
            self.assertTrue(k in before, k)
            self.assertEqual(delta.get(k), v, k)
        self.assertEqual(sum(v for k, v in delta.items() if k[0] == "hikyaku_smtp_error_replies_total"), 4)
        # The refusals' codes (550 for the reject rule, whatever the others use) add up to 4.
        refusal_codes = sum(v for k, v in delta.items()
                            if k[0] == "hikyaku_smtp_reply_codes_total" and dict(k[1])["code"].startswith("5"))
        self.assertEqual(refusal_codes, 4)
        for k, v in expected.items():
            self.assertEqual(delta.get(k), v, k)
        # Histogram buckets above a moved one move too (cumulative); the size sum is the bytes read.
        for le in ["5", "10", "20", "50", "100", "+Inf"]:
            self.assertEqual(delta[key("hikyaku_message_recipients_bucket", le=le)], 1, le)
        self.assertGreater(delta[key("hikyaku_message_size_bytes_sum")], 2000)
        self.assertLess(delta[key("hikyaku_message_size_bytes_sum")], 4096)
        self.assertGreater(delta[key("hikyaku_config_last_reload_success_timestamp_seconds")], -1)
        # Nothing else that counts SMTP traffic or messages moved.
        moved = {k for k, v in delta.items() if v != 0 and k[0].startswith(
            ("hikyaku_smtp_", "hikyaku_messages", "hikyaku_domain_", "hikyaku_message_recipients_count",
             "hikyaku_auth_", "hikyaku_config_reloads"))}
        unexpected = {k for k in moved if k not in expected
                      and not (k[0] == "hikyaku_smtp_reply_codes_total" and dict(k[1])["code"].startswith("5"))
                      and k not in error_replies
                      and k[0] != "hikyaku_smtp_sessions_active"}
        self.assertEqual(unexpected, set())
        # No address, domain we do not serve, or client IP in any label.
        _, _, body = http_get(self.metrics_port, "/metrics")
        for leak in ["not-served.example", "origin.example", "noreply", "127.0.0.1", "client.example.org"]:
            self.assertNotIn(leak, body)

    def test_proxy_header_results(self):
        self.proxy_port = free_port()
        r = self.start_relay(proxy_port=self.proxy_port, server_extra='proxy_timeout = "2s"\n')
        before, _ = scrape(self.metrics_port)
        import socket

        def raw(data):
            s = socket.create_connection(("127.0.0.1", self.proxy_port), timeout=30)
            if data:
                s.sendall(data)
            return s

        # A v1 header with a client address, then one with UNKNOWN (the socket's own addresses).
        for header in [b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n", b"PROXY UNKNOWN\r\n"]:
            c = SmtpClient(self.proxy_port, prefix=header)
            self.assertTrue(c.command("QUIT").startswith("221"))
            c.close()
        # Garbage, a connection closed before a full header, one that sends nothing: each is
        # closed without a greeting.
        for data, close_first in [(b"HELO there\r\n", False), (b"PROXY TCP4 192.0", True), (b"", False)]:
            s = raw(data)
            if close_first:
                s.shutdown(socket.SHUT_WR)
            self.assertEqual(s.recv(100), b"")
            s.close()
        self.assertTrue(r.wait_for_log_count("refused connection from", 3), r.read_log()[-3000:])
        after, _ = scrape(self.metrics_port)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
        for result, n in [("proxied", 1), ("local", 1), ("invalid", 1), ("closed", 1), ("timeout", 1),
                          ("too_long", 0), ("untrusted", 0)]:
            self.assertEqual(delta[key("hikyaku_proxy_headers_total", result=result)], n, result)
        self.assertEqual(delta[key("hikyaku_smtp_connections_total", listener="proxy", result="accepted")], 2)
        self.assertEqual(delta[key("hikyaku_smtp_connections_total", listener="proxy", result="bad_proxy_header")], 3)

    def test_inbound_tls_by_version_and_result(self):
        import socket
        import ssl
        from harness import make_certificate
        cert = make_certificate(self.workdir)
        self.start_relay(tls=cert)
        before, _ = scrape(self.metrics_port)
        # Two handshakes, TLS 1.3 and TLS 1.2; then a client that sends garbage instead of one.
        for version in [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2]:
            c = SmtpClient(self.metrics_relay.port)
            c.command("EHLO client.example.org")
            self.assertTrue(c.command("STARTTLS").startswith("220"))
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.minimum_version = ctx.maximum_version = version
            tls = ctx.wrap_socket(c.sock, server_hostname="localhost")
            tls.sendall(b"QUIT\r\n")
            self.assertTrue(tls.recv(4096).startswith(b"221"))
            tls.close()
        c = SmtpClient(self.metrics_relay.port)
        c.command("EHLO client.example.org")
        self.assertTrue(c.command("STARTTLS").startswith("220"))
        c.sock.sendall(b"this is no ClientHello\r\n" * 20)
        c.sock.settimeout(30)
        try:
            while c.sock.recv(4096):
                pass
        except OSError:
            pass  # reset: the relay gave up on the handshake
        c.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            after, _ = scrape(self.metrics_port)
            delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
            if delta[key("hikyaku_tls_sessions_total", direction="in", version="none", result="failed")]:
                break
            time.sleep(0.1)
        for version, result, n in [("TLSv1.3", "ok", 1), ("TLSv1.2", "ok", 1), ("none", "failed", 1),
                                   ("TLSv1.3", "failed", 0), ("other", "ok", 0)]:
            self.assertEqual(delta[key("hikyaku_tls_sessions_total", direction="in", version=version, result=result)],
                             n, (version, result))
        self.assertEqual(sum(v for k, v in delta.items() if k[0] == "hikyaku_tls_sessions_total"
                             and dict(k[1])["direction"] == "out"), 0)

    def test_spool_free_space_is_the_file_systems(self):
        r = self.start_relay()
        samples, _ = scrape(self.metrics_port)
        st = os.statvfs(r.spool)
        # Read at the scrape (other writers share the file system: within 1%).
        self.assertAlmostEqual(samples[key("hikyaku_spool_free_bytes")], st.f_bavail * st.f_frsize,
                               delta=st.f_blocks * st.f_frsize * 0.01)
        self.assertAlmostEqual(samples[key("hikyaku_spool_free_inodes")], st.f_favail,
                               delta=max(1000, st.f_files * 0.01))

    def test_a_failed_reload_is_shown(self):
        r = self.start_relay()
        before, _ = scrape(self.metrics_port)
        with open(r.config_path) as f:
            good = f.read()
        r.write_config(good + "\n[server]\nno_such_key = 1\n")
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("keeping the configuration in force"), r.read_log()[-3000:])
        mid, _ = scrape(self.metrics_port)
        self.assertEqual(mid[key("hikyaku_config_last_reload_successful")], 0)
        self.assertEqual(mid[key("hikyaku_config_reloads_total", result="failure")]
                         - before[key("hikyaku_config_reloads_total", result="failure")], 1)
        self.assertEqual(mid[key("hikyaku_config_last_reload_success_timestamp_seconds")],
                         before[key("hikyaku_config_last_reload_success_timestamp_seconds")])
        r.write_config(good)
        r.signal(signal.SIGHUP)
        self.assertTrue(r.wait_for_log("reloaded"), r.read_log()[-3000:])
        after, _ = scrape(self.metrics_port)
        self.assertEqual(after[key("hikyaku_config_last_reload_successful")], 1)
        self.assertEqual(after[key("hikyaku_config_reloads_total", result="success")]
                         - before[key("hikyaku_config_reloads_total", result="success")], 1)

    def test_request_header_cap_and_deadline_are_the_configured_ones(self):
        """[metrics] max_request_header and request_timeout at their boundaries."""
        import socket
        self.start_relay(metrics_extra='request_timeout = "3s"\nmax_request_header = 1024\n')

        def request(total, delay=0.0):
            head = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Pad: "
            tail = b"\r\n\r\n"
            data = head + b"a" * (total - len(head) - len(tail)) + tail
            self.assertEqual(len(data), total)
            s = socket.create_connection(("127.0.0.1", self.metrics_port), timeout=30)
            try:
                if delay:
                    time.sleep(delay)
                s.sendall(data)
                answer = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return answer
                    answer += chunk
            finally:
                s.close()

        # The cap counts the request line, the fields and the final empty line.
        self.assertTrue(request(1023).startswith(b"HTTP/1.1 200"))
        self.assertTrue(request(1024).startswith(b"HTTP/1.1 200"))
        self.assertTrue(request(1025).startswith(b"HTTP/1.1 431"))
        # A request that comes within the deadline is served; a client that sends nothing is
        # dropped at the deadline, not before.
        self.assertTrue(request(100, delay=1.5).startswith(b"HTTP/1.1 200"))
        s = socket.create_connection(("127.0.0.1", self.metrics_port), timeout=60)
        start = time.monotonic()
        self.assertEqual(s.recv(100), b"")
        self.assertGreaterEqual(time.monotonic() - start, 2.9)
        s.close()

    def test_dns_failing_for_turns_readyz_503(self):
        """[metrics] dns_failing_for: with every query failing (a resolver that never answers),
        /readyz turns 503 once the first failure is that old."""
        import socket
        dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
        dead.bind(("127.0.0.1", 0))
        self.addCleanup(dead.close)
        self.metrics_port = free_port()
        r = self.relay(metrics_port=self.metrics_port, dns=f"127.0.0.1:{dead.getsockname()[1]}",
                       metrics_extra='dns_failing_for = "2s"\n')
        deadline = time.time() + 60
        while http_get(self.metrics_port, "/readyz")[0] != 200 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(http_get(self.metrics_port, "/readyz")[0], 200)
        # A message to forward: its checks and its delivery need lookups, which all time out
        # (dns.timeout 3 s); 2 s after the first failure /readyz says so. The session stays
        # open until then.
        c = SmtpClient(r.port)
        self.addCleanup(c.close)
        c.command("EHLO client.example.org")
        self.assertTrue(c.command("MAIL FROM:<s@origin.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<info@example.com>").startswith("250"))
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send("From: s@origin.example\r\nTo: info@example.com\r\nSubject: dns\r\n\r\nbody\r\n.\r\n")
        deadline = time.time() + 60
        last = None
        while time.time() < deadline:
            last = http_get(self.metrics_port, "/readyz")
            if last[0] == 503:
                break
            time.sleep(0.2)
        self.assertEqual(last[:1], (503,), last)
        self.assertIn("resolver", last[2])

    def test_health_answers(self):
        r = self.start_relay()
        self.assertEqual(http_get(self.metrics_port, "/livez")[:1], (200,))
        self.assertEqual(http_get(self.metrics_port, "/livez")[2], "ok\n")
        self.assertEqual(http_get(self.metrics_port, "/readyz?verbose")[0], 200)
        self.assertEqual(http_get(self.metrics_port, "/")[0], 404)
        self.assertEqual(http_get(self.metrics_port, "/metrics/extra")[0], 404)
        self.assertEqual(http_get(self.metrics_port, "/metrics", method="POST")[0], 405)
        status, _, body = http_get(self.metrics_port, "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, ""))
        # A header past the 8 KiB limit is refused, not read on.
        self.assertEqual(http_get(self.metrics_port, "/livez", headers={"X-Big": "a" * 9000})[0], 431)
        # A client that sends nothing is dropped by the read deadline (5 s), not held.
        import socket
        s = socket.create_connection(("127.0.0.1", self.metrics_port), timeout=30)
        start = time.time()
        self.assertEqual(s.recv(100), b"")
        self.assertLess(time.time() - start, 25)
        s.close()

        # Draining: a session holds its open transaction; /readyz says 503 until the end.
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        self.assertTrue(c.command("MAIL FROM:<s@origin.example>").startswith("250"))
        r.signal(signal.SIGTERM)
        self.assertTrue(r.wait_for_log("may finish their transaction"), r.read_log()[-3000:])
        status, _, body = http_get(self.metrics_port, "/readyz")
        self.assertEqual((status, body), (503, "not ready: draining\n"))
        self.assertEqual(http_get(self.metrics_port, "/livez")[0], 200)
        samples, _ = scrape(self.metrics_port)
        self.assertEqual(samples[key("hikyaku_ready")], 0)
        self.assertEqual(samples[key("hikyaku_smtp_sessions_active")], 1)
        c.command("RSET")
        c.close()
        self.assertEqual(r.proc.wait(timeout=60), 0)


if __name__ == "__main__":
    unittest.main()


class ForwardedMessageMetrics(RelayTestCase):
    """One message forwarded to a real destination (NSD, an aiosmtpd sink): the delivery-side
    metrics move by exactly one delivery."""

    def test_one_forwarded_message(self):
        from nsd_harness import NsdServer
        from sinks import AcceptingSink
        from test_forwarding import ORIGIN_ZONE, RULES, ZONE, send
        port, metrics_port = free_port(), free_port()
        nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
        self.addCleanup(nsd.stop)
        sink = AcceptingSink("::1", port).start()
        self.addCleanup(sink.stop)
        r = self.relay(metrics_port=metrics_port, dns=nsd.address, relay_port=port, domains_extra=RULES)
        deadline = time.time() + 60
        while http_get(metrics_port, "/readyz")[0] != 200 and time.time() < deadline:
            time.sleep(0.1)
        before, _ = scrape(metrics_port)
        _, reply = send(r, ["v6@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        after, _ = scrape(metrics_port)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
        expected = {
            key("hikyaku_messages_total", outcome="sent"): 1,
            key("hikyaku_policy_actions_total", action="accept"): 1,
            key("hikyaku_data_reply_seconds_count"): 1,
            key("hikyaku_delivery_stage_seconds_count", stage="checks"): 1,
            key("hikyaku_delivery_stage_seconds_count", stage="connect"): 1,
            key("hikyaku_delivery_stage_seconds_count", stage="transmit"): 1,
            key("hikyaku_delivery_stage_seconds_count", stage="queue_wait"): 0,
            key("hikyaku_delivery_end_to_end_seconds_count", path="session"): 1,
            key("hikyaku_delivery_end_to_end_seconds_count", path="queue"): 0,
            key("hikyaku_tls_sessions_total", direction="out", version="none", result="ok"): 1,
            key("hikyaku_spool_write_seconds_count"): 0,  # delivered in the session: nothing spooled
        }
        for k, v in expected.items():
            self.assertEqual(delta.get(k), v, k)
        self.assertGreaterEqual(delta[key("hikyaku_dns_cache_total", result="miss")], 1)
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(delta[key("hikyaku_delivery_attempts_total", path="session", result="delivered",
                                   reply="2xx")], 1)
        self.assertEqual(sum(v for k, v in delta.items() if k[0] == "hikyaku_delivery_attempts_total"), 1)

    def test_delivery_attempts_by_result_and_reply_class(self):
        from nsd_harness import NsdServer
        from sinks import AcceptingSink, PermFailSink, TempFailSink
        from test_forwarding import ORIGIN_ZONE, RULES, ZONE, send
        port, metrics_port = free_port(), free_port()
        nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
        self.addCleanup(nsd.stop)
        for sink in [AcceptingSink("::1", port), PermFailSink("127.0.0.8", port), TempFailSink("127.0.0.7", port)]:
            sink.start()
            self.addCleanup(sink.stop)
        # mx.temp (127.0.0.9) has no listener: nobody answers; the queue retries it every second.
        r = self.relay(metrics_port=metrics_port, dns=nsd.address, relay_port=port, domains_extra=RULES,
                       retry_interval="1s")
        deadline = time.time() + 60
        while http_get(metrics_port, "/readyz")[0] != 200 and time.time() < deadline:
            time.sleep(0.1)
        before, _ = scrape(metrics_port)
        # Each message has a v6 recipient (accepted), so the sender gets 250 and what is not
        # delivered is queued (or bounced). perm refuses with 550 5.1.1: a DSN.
        _, reply = send(r, ["v6@hikyaku.example", "perm@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        # implicit (no MX, its A record) says 450: deferred, queued.
        _, reply = send(r, ["v6@hikyaku.example", "implicit@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        # temp: no host answers: deferred, queued.
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply)
        # nullmx alone: the domain takes no mail (RFC 7505), no host tried; refused.
        rcpts, reply = send(r, ["nullmx@hikyaku.example"])
        self.assertTrue((reply or rcpts[0]).startswith("5"), (rcpts, reply))

        def deltas():
            after, _ = scrape(metrics_port)
            return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}

        session = {
            ("delivered", "2xx"): 3,            # v6
            ("failed", "5xx"): 1,               # perm
            ("deferred", "4xx"): 1,             # implicit
            ("deferred", "connect_failure"): 1,  # temp
            ("failed", "connect_failure"): 1,    # nullmx
        }
        # The queue's retries of implicit and temp come within a few seconds: each counted once per
        # attempt, by the same rules, and under the older queue-only family too.
        deadline = time.time() + 60
        while time.time() < deadline:
            delta = deltas()
            q = lambda result, reply: delta[key("hikyaku_delivery_attempts_total", path="queue",
                                                result=result, reply=reply)]
            if q("deferred", "4xx") >= 1 and q("deferred", "connect_failure") >= 1:
                break
            time.sleep(0.2)
        for result, reply in itertools.product(["delivered", "deferred", "failed"],
                                               ["2xx", "4xx", "5xx", "connect_failure"]):
            self.assertEqual(delta[key("hikyaku_delivery_attempts_total", path="session", result=result,
                                       reply=reply)], session.get((result, reply), 0), (result, reply))
        self.assertGreaterEqual(q("deferred", "4xx"), 1)
        self.assertGreaterEqual(q("deferred", "connect_failure"), 1)
        self.assertEqual(q("delivered", "2xx"), 0)
        for result in ["delivered", "deferred", "failed"]:
            self.assertEqual(sum(v for k, v in delta.items() if k[0] == "hikyaku_delivery_attempts_total"
                                 and dict(k[1]) .get("path") == "queue" and dict(k[1])["result"] == result),
                             delta[key("hikyaku_queue_delivery_attempts_total", result=result)], result)
        self.assertEqual(delta[key("hikyaku_dsn_sent_total")], 1)
        # Each message but nullmx's kept a part: the DSN for perm, the deferred implicit and temp.
        self.assertEqual(delta[key("hikyaku_messages_total", outcome="queued")], 3)


def spool_message_bytes(spool):
    """The sum of the "message-length" header lines of the spool's entries (queue/spool_file)."""
    from harness import spool_entries
    total = 0
    for name in spool_entries(spool):
        with open(os.path.join(spool, name), "rb") as f:
            m = re.search(rb"\nmessage-length: ([0-9]+)\n", f.read())
        assert m, name
        total += int(m.group(1))
    return total


class QueueGaugeMetrics(RelayTestCase):
    """Messages kept by the queue (their destination answers 450, the next try an hour away): the
    queue gauges count exactly them by state and by served domain, their bytes are those of the
    spool files, and every spool write's fsyncs are observed."""

    def test_queue_by_state_and_domain_and_spool_fsync(self):
        from nsd_harness import NsdServer
        from sinks import AcceptingSink, TempFailSink
        from test_forwarding import ORIGIN_ZONE, RULES, ZONE, send
        port, metrics_port = free_port(), free_port()
        nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
        self.addCleanup(nsd.stop)
        # v6.dest.example (::1) accepts; implicit.dest.example (127.0.0.7) answers 450 to RCPT.
        for sink in [AcceptingSink("::1", port), TempFailSink("127.0.0.7", port)]:
            sink.start()
            self.addCleanup(sink.stop)
        r = self.relay(metrics_port=metrics_port, dns=nsd.address, relay_port=port, domains_extra=RULES,
                       retry_interval="1h")
        deadline = time.time() + 60
        while http_get(metrics_port, "/readyz")[0] != 200 and time.time() < deadline:
            time.sleep(0.1)
        before, _ = scrape(metrics_port)
        gauges = ["hikyaku_queue_entries", "hikyaku_queue_recipients", "hikyaku_queue_bytes",
                  "hikyaku_queue_oldest_age_seconds"]
        served = ["example.com", "catchall.example", "hikyaku.example", "other"]
        for name, state in itertools.product(gauges, ["active", "deferred"]):
            self.assertEqual(before[key(name, state=state)], 0, (name, state))
        for domain in served:
            self.assertEqual(before[key("hikyaku_queue_domain_recipients", domain=domain)], 0, domain)

        started = time.time()
        small = ("From: Sender <sender@origin.example>\r\nTo: implicit@hikyaku.example\r\n"
                 "Subject: small\r\nMessage-ID: <q1@origin.example>\r\n\r\n" + ("s" * 98 + "\r\n") * 10)
        large = ("From: Sender <sender@origin.example>\r\nTo: implicit@hikyaku.example\r\n"
                 "Subject: large\r\nMessage-ID: <q2@origin.example>\r\n\r\n" + ("l" * 98 + "\r\n") * 500)
        # Each message has a v6 recipient (delivered in the session), so what is deferred is queued
        # (a message deferred for every recipient gets a 451 and is not kept).
        # 1. implicit says 450: the entry keeps one recipient.
        _, reply = send(r, ["v6@hikyaku.example", "implicit@hikyaku.example"], data=small)
        self.assertTrue(reply.startswith("250"), reply)
        self.assertIn("queued as", reply)
        # 2. implicit, and two (v6 accepts its a@, implicit says 450 to its b@): two kept.
        _, reply = send(r, ["v6@hikyaku.example", "implicit@hikyaku.example", "two@hikyaku.example"],
                        data=large)
        self.assertTrue(reply.startswith("250"), reply)
        self.assertIn("queued as", reply)

        deadline = time.time() + 60
        while time.time() < deadline:
            after, _ = scrape(metrics_port)
            if after[key("hikyaku_queue_entries", state="deferred")] == 2:
                break
            time.sleep(0.2)
        self.assertEqual(after[key("hikyaku_queue_entries", state="deferred")], 2)
        self.assertEqual(after[key("hikyaku_queue_entries", state="active")], 0)
        self.assertEqual(after[key("hikyaku_queue_recipients", state="deferred")], 3)
        self.assertEqual(after[key("hikyaku_queue_recipients", state="active")], 0)
        # Every recipient was given in RCPT TO in hikyaku.example: counted there, nowhere else.
        for domain in served:
            self.assertEqual(after[key("hikyaku_queue_domain_recipients", domain=domain)],
                             3 if domain == "hikyaku.example" else 0, domain)
        # The bytes are the spool files' messages: what was sent plus the headers added here.
        queued_bytes = after[key("hikyaku_queue_bytes", state="deferred")]
        self.assertEqual(queued_bytes, spool_message_bytes(r.spool))
        self.assertGreater(queued_bytes, len(small) + len(large))
        self.assertLess(queued_bytes, len(small) + len(large) + 2 * 8192)
        self.assertEqual(after[key("hikyaku_queue_bytes", state="active")], 0)
        age = after[key("hikyaku_queue_oldest_age_seconds", state="deferred")]
        self.assertGreaterEqual(age, 0)
        self.assertLessEqual(age, time.time() - started + 1)
        self.assertEqual(after[key("hikyaku_queue_oldest_age_seconds", state="active")], 0)
        # No label for the destinations or addresses.
        _, _, body = http_get(metrics_port, "/metrics")
        for leak in ["dest.example", "implicit", "origin.example"]:
            self.assertNotIn(leak, body)

        # Each durable write fsyncs its file and then its directory, once each.
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
        writes = delta[key("hikyaku_spool_write_seconds_count")]
        self.assertGreaterEqual(writes, 2)
        self.assertEqual(delta[key("hikyaku_spool_fsync_seconds_count", target="file")], writes)
        self.assertEqual(delta[key("hikyaku_spool_fsync_seconds_count", target="directory")], writes)
        self.assertGreater(delta[key("hikyaku_spool_fsync_seconds_sum", target="file")], 0)
        self.assertEqual(delta[key("hikyaku_spool_fsync_seconds_bucket", target="file", le="+Inf")], writes)

        # Deleted from the queue: the gauges go back to 0 (the domain's series stays, at 0).
        import subprocess
        from harness import HIKYAKU, spool_entries
        ids = spool_entries(r.spool)
        self.assertEqual(len(ids), 2)
        for queue_id in ids:
            p = subprocess.run([HIKYAKU, "queue", "delete", queue_id, "-c", r.config_path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        deadline = time.time() + 60
        while time.time() < deadline:
            final, _ = scrape(metrics_port)
            if final[key("hikyaku_queue_entries", state="deferred")] == 0:
                break
            time.sleep(0.2)
        for name, state in itertools.product(gauges, ["active", "deferred"]):
            self.assertEqual(final[key(name, state=state)], 0, (name, state))
        self.assertEqual(final[key("hikyaku_queue_domain_recipients", domain="hikyaku.example")], 0)
