"""Bounds that keep one client from exhausting the relay, end to end over raw sockets: the
session time limit against a slow-loris client, the junk-command limit at its boundary,
connections still waiting for their PROXY header counted against the connection limits
(RFC 5321 §4.5.3.2 and §3.8; Postfix smtpd_timeout and smtpd_junk_command_limit), and the
process-wide budget of message bytes in memory (452 4.3.1, RFC 3463 §3.4)."""
import asyncio
import select
import socket
import time
import unittest

from harness import (RelayTestCase, SmtpClient, WithoutAsanQuarantine, connect_until_greeted, free_port,
                     send_slowly, vm_kib)


class SessionBounds(RelayTestCase):
    def test_slowloris_gets_421_at_max_session_time_and_its_slot_is_freed(self):
        r = self.relay(server_extra='max_connections_per_ip = 1\nmax_session_time = "3s"\n'
                                    'command_timeout = "2s"')
        slow = SmtpClient(r.port)
        self.assertTrue(slow.banner.startswith("220"), slow.banner)
        # The only slot of 127.0.0.1 is taken.
        other = SmtpClient(r.port)
        self.assertTrue(other.banner.startswith("421 4.7.0"), other.banner)
        other.close()
        # One byte every 0.4 s: each read comes well within command_timeout, so only the
        # session's lifetime can end it.
        start = time.time()
        got = b""
        while time.time() - start < 30 and b"\r\n" not in got:
            try:
                slow.send(b"X")
            except OSError:
                break
            readable, _, _ = select.select([slow.sock], [], [], 0.4)
            if readable:
                chunk = slow.sock.recv(4096)
                if not chunk:
                    break
                got += chunk
        elapsed = time.time() - start
        self.assertTrue(got.startswith(b"421 4.4.2 mx.hikyaku.test Error: session time limit exceeded"),
                        got)
        self.assertGreaterEqual(elapsed, 2.5)
        self.assertTrue(slow.closed())
        self.assertTrue(r.wait_for_log("session time limit for [127.0.0.1]"))
        fresh, _ = connect_until_greeted(r.port)
        self.assertTrue(fresh.command("EHLO client.example.org").startswith("250"))
        fresh.command("QUIT")

    def test_junk_commands_at_the_limit(self):
        r = self.relay(server_extra="max_junk_commands = 3")
        c = SmtpClient(r.port)
        self.assertTrue(c.command("EHLO client.example.org").startswith("250"))
        self.assertEqual(c.command("NOOP"), "250 2.0.0 Ok")                       # N-1 = 2 ...
        self.assertTrue(c.command("VRFY postmaster").startswith("252"))
        self.assertEqual(c.command("RSET"), "250 2.0.0 Ok")                       # N = 3
        self.assertEqual(c.command("NOOP"),                                       # N+1
                         "421 4.7.0 mx.hikyaku.test Error: too many commands without mail")
        self.assertTrue(c.closed())
        self.assertTrue(r.wait_for_log("too many junk commands for [127.0.0.1]"))

    def test_delivered_message_restarts_the_junk_count(self):
        r = self.relay(server_extra="max_junk_commands = 2")
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        for _ in range(3):
            self.assertEqual(c.command("RSET"), "250 2.0.0 Ok")
            self.assertEqual(c.command("NOOP"), "250 2.0.0 Ok")
            self.assertTrue(c.command("MAIL FROM:<s@origin.example>").startswith("250"))
            self.assertTrue(c.command("RCPT TO:<noreply@example.com>").startswith("250"))
            self.assertTrue(c.command("DATA").startswith("354"))
            reply = c.command("Subject: t\r\n\r\nbody\r\n.")
            self.assertTrue(reply.startswith("250"), reply)
        self.assertTrue(c.command("QUIT").startswith("221"))


class ProxyHeaderSlots(RelayTestCase):
    def test_silent_proxy_connections_count_until_their_header_times_out(self):
        proxy_port = free_port()
        r = self.relay(proxy_port=proxy_port,
                       server_extra='max_connections_per_ip = 2\nproxy_timeout = "2s"')
        silent = [socket.create_connection(("127.0.0.1", proxy_port), timeout=20) for _ in range(2)]
        try:
            deadline = time.time() + 20
            while r.read_log().count("waiting for its PROXY header") < 2 and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(r.read_log().count("waiting for its PROXY header"), 2)
            # Both slots of 127.0.0.1 are held by connections that have said nothing.
            refused = SmtpClient(r.port)
            self.assertTrue(refused.banner.startswith("421 4.7.0"), refused.banner)
            refused.close()
            self.assertTrue(r.wait_for_log("timeout waiting for PROXY header", timeout=20))
            for s in silent:
                self.assertEqual(s.recv(1), b"")  # closed by the relay at proxy_timeout
            c, _ = connect_until_greeted(r.port)
            c.command("QUIT")
        finally:
            for s in silent:
                s.close()

    def test_header_moves_the_connection_to_the_client_it_names(self):
        proxy_port = free_port()
        r = self.relay(proxy_port=proxy_port, server_extra="max_connections_per_ip = 1")
        a = SmtpClient(proxy_port, prefix=b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n")
        b = SmtpClient(proxy_port, prefix=b"PROXY TCP6 2001:db8:1:2::7 2001:db8::1 40000 25\r\n")
        self.assertTrue(a.banner.startswith("220"), a.banner)
        self.assertTrue(b.banner.startswith("220"), b.banner)
        # Same IPv4 client again, and another address of the same IPv6 /64: over their limit.
        again = SmtpClient(proxy_port, prefix=b"PROXY TCP4 192.0.2.7 198.51.100.1 40001 25\r\n")
        self.assertTrue(again.banner.startswith("421 4.7.0"), again.banner)
        same64 = SmtpClient(proxy_port, prefix=b"PROXY TCP6 2001:db8:1:2::99 2001:db8::1 40001 25\r\n")
        self.assertTrue(same64.banner.startswith("421 4.7.0"), same64.banner)
        self.assertTrue(r.wait_for_log("as 2001:db8:1:2::/64"))
        other64 = SmtpClient(proxy_port, prefix=b"PROXY TCP6 2001:db8:1:3::7 2001:db8::1 40001 25\r\n")
        self.assertTrue(other64.banner.startswith("220"), other64.banner)
        # The proxy itself (127.0.0.1) holds no slot for the sessions it carries.
        direct = SmtpClient(r.port)
        self.assertTrue(direct.banner.startswith("220"), direct.banner)
        for c in (a, b, direct, other64):
            c.command("QUIT")



class InflightBudget(WithoutAsanQuarantine, RelayTestCase):
    # 40 sessions x 2 MiB against a budget of 16 MiB. Besides the budget the relay may grow by
    # OVERHEAD: per session its read buffer and protocol state, the doubling of one message's
    # buffer while it is copied, allocator slack.
    SESSIONS = 40
    MESSAGE = 2 << 20
    BUDGET = 16 << 20
    OVERHEAD = 24 << 20

    def test_many_large_messages_get_452_and_memory_stays_under_budget(self):
        r = self.relay(server_extra=f"max_inflight_bytes = {self.BUDGET}\n"
                                    f"max_message_size = {4 << 20}\n"
                                    f"max_connections_per_ip = {self.SESSIONS + 10}")
        pid = r.proc.pid
        baseline = self.warmed_up_peak(r)
        line = b"x" * 78 + b"\r\n"
        body = b"Subject: big\r\n\r\n" + line * (self.MESSAGE // len(line))

        async def flood():
            tasks = [send_slowly(r.port, body, 64 << 10, 0.02) for _ in range(self.SESSIONS)]
            return await asyncio.gather(*tasks, return_exceptions=True)

        start = time.time()
        replies = asyncio.run(flood())
        elapsed = time.time() - start
        errors = [x for x in replies if isinstance(x, BaseException)]
        self.assertEqual(errors, [])
        refused = [x for x in replies if x.startswith("452 4.3.1")]
        accepted = [x for x in replies if x.startswith("250")]
        peak = vm_kib(pid, "VmHWM") * 1024
        print(f"\n{len(accepted)} accepted, {len(refused)} refused with 452 in {elapsed:.1f}s; "
              f"VmHWM {baseline >> 20} MiB before, {peak >> 20} MiB after "
              f"(+{(peak - baseline) >> 20} MiB; budget {self.BUDGET >> 20} MiB)")
        self.assertEqual(len(accepted) + len(refused), self.SESSIONS, replies)
        self.assertGreater(len(refused), 0)
        self.assertGreater(len(accepted), 0)
        self.assertLessEqual(peak - baseline, self.BUDGET + self.OVERHEAD)
        # The budget is given back: a normal message is accepted afterwards.
        c = SmtpClient(r.port)
        c.command("EHLO client.example.org")
        c.command("MAIL FROM:<s@origin.example>")
        c.command("RCPT TO:<noreply@example.com>")
        self.assertTrue(c.command("DATA").startswith("354"))
        self.assertTrue(c.command("Subject: after\r\n\r\nhi\r\n.").startswith("250"))
        c.command("QUIT")


if __name__ == "__main__":
    unittest.main()
