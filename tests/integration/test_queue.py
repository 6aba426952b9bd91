"""The durable queue end to end (DESIGN §1 step 7): a mixed outcome is queued (fsync'd) before
the 250 and retried; recipients refused for good get an RFC 3464 DSN at the original sender's
MX; a destination slower than the session budget is queued; an unwritable spool gives 452 4.3.1
(or 554 5.3.1 once part was delivered); `hikyaku queue list|flush|delete` against the running
server and offline; `hikyaku queue drain` until empty or its timeout. Real hikyaku, NSD for DNS,
aiosmtpd sinks on loopback."""
import email
import email.policy
import hashlib
import os
import re
import shutil
import subprocess
import time
import unittest

from harness import HIKYAKU, Hikyaku, RelayTestCase, SmtpClient, free_port, proc_status, spool_entries
from nsd_harness import NsdServer
from sinks import (AcceptingSink, DotFailSink, PermFailSink, RcptDeferSink, SlowDataSink, StallingSink,
                   TempFailSink)
from test_forwarding import MESSAGE, ORIGIN_ZONE, RULES, ZONE, send

SENDER = "author@implicit.dest.example"  # its MX (implicit, 127.0.0.7) receives the DSNs

# A sender domain that authorises no host (SPF "-all"); its implicit MX is the DSN sink too.
SPF_FAIL_ZONE = """$ORIGIN spf-fail.example.
$TTL 60
@        IN SOA ns.spf-fail.example. hostmaster.spf-fail.example. 1 3600 600 86400 60
@        IN NS  ns.spf-fail.example.
ns       IN A   127.0.0.1
@        IN A   127.0.0.7
@        IN TXT "v=spf1 -all"
"""


def write_spool_entry(spool, queue_id, rcpt, message, next_try):
    """A version 2 spool file (queue/spool_file.hpp), written as the relay would."""
    head = "".join(f"{k}: {v}\n" for k, v in [
        ("queue-id", queue_id), ("arrival", int(time.time())), ("mail-from", SENDER),
        ("upstream-from", SENDER), ("attempts", 1), ("next-try", next_try), ("last-error", ""),
        ("smtputf8", "no"), ("body", "7bit"), ("rcpt-count", 1), ("rcpt", f"pending {rcpt} "),
        ("message-length", len(message.encode()))])
    data = ("hikyaku-spool 2\n" + head).encode() + message.encode() + b"\n"
    data += b"end " + hashlib.sha256(data).hexdigest().encode() + b"\n"
    os.makedirs(spool, exist_ok=True)
    with open(os.path.join(spool, queue_id), "wb") as f:
        f.write(data)


class Queue(RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE,
                             "spf-fail.example": SPF_FAIL_ZONE}).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.sinks = []

    def tearDown(self):
        for s in self.sinks:
            s.stop()
        super().tearDown()

    def sink(self, cls, host, **kwargs):
        s = cls(host, self.port, **kwargs).start()
        self.sinks.append(s)
        return s

    def start(self, **kwargs):
        return self.relay(dns=self.nsd.address, relay_port=self.port, domains_extra=RULES, **kwargs)

    def spool_files(self, relay):
        # Entries only: a tmp.* file is a rewrite under way on the spool writer.
        return sorted(spool_entries(relay.spool))

    def queue_cli(self, relay, *args):
        p = subprocess.run([HIKYAKU, "queue", *args, "-c", relay.config_path],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def test_mixed_outcome_queues_the_failed_part_then_retries_it(self):
        v6 = self.sink(AcceptingSink, "::1")
        temp = self.sink(DotFailSink, "127.0.0.9", times=1)
        r = self.start(retry_interval="1s")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertIn("queued as", reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertEqual(temp.refused, 1)
        self.assertTrue(temp.wait_for(1, timeout=30), r.read_log()[-3000:])
        self.assertEqual(temp.messages[0]["rcpt_tos"], ["user@temp.dest.example"])
        self.assertIn("Message-ID: <m1@origin.example>", temp.messages[0]["data"].decode())
        deadline = time.time() + 30
        while self.spool_files(r) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.spool_files(r), [])
        # The entry is gone (the queue is done with the message): the delivered part was not
        # sent again.
        self.assertTrue(r.wait_for_log("removed from the queue"), r.read_log()[-3000:])
        self.assertEqual(len(v6.messages), 1)
        # The retry is logged with the fields of an in-session delivery, its number and delays=
        # (a queue wait that is not zero: the 1 s retry interval).
        self.assertRegex(r.read_log(), r"to=<user@temp\.dest\.example> domain=temp\.dest\.example "
                                       r"relay=mx\.temp\.dest\.example\[[0-9a-f.:]+\]:\d+ attempt=2 "
                                       r"delays=0/(?!0/)[\d.]+/[\d.]+/[\d.]+ tls=\S+ status=sent reply=\"250 ")
        self.assertNotIn("PARTIAL DELIVERY", r.read_log())

    def test_permanent_failure_after_partial_delivery_sends_a_dsn_to_the_original_sender(self):
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(DotFailSink, "127.0.0.9", reply="554 5.6.0 Content rejected", times=None)
        origin = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertIn("a delivery status notification follows", reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertTrue(origin.wait_for(1, timeout=30), r.read_log()[-3000:])
        dsn = origin.messages[0]
        self.assertIn(dsn["mail_from"], ("", "<>"))  # the null sender
        self.assertEqual(dsn["rcpt_tos"], [SENDER])
        msg = email.message_from_bytes(dsn["data"], policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        self.assertEqual(msg["From"], "Mail Delivery System <MAILER-DAEMON@mx.hikyaku.test>")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        groups = parts[1].get_payload()  # per-message fields, then one group per recipient
        self.assertEqual(groups[0]["Reporting-MTA"], "dns; mx.hikyaku.test")
        self.assertEqual(len(groups), 2)
        # The address the sender used, not the private forwarding target (conf/hikyaku.toml).
        self.assertEqual(groups[1]["Original-Recipient"], "rfc822; temp@hikyaku.example")
        self.assertEqual(groups[1]["Final-Recipient"], "rfc822; temp@hikyaku.example")
        self.assertNotIn("user@temp.dest.example", dsn["data"].decode())
        self.assertEqual(groups[1]["Action"], "failed")
        self.assertEqual(groups[1]["Status"], "5.6.0")
        self.assertEqual(groups[1]["Remote-MTA"], "dns; mx.temp.dest.example")
        self.assertIn("Content rejected", groups[1]["Diagnostic-Code"])
        self.assertIn("Message-ID: <m1@origin.example>", parts[2].get_content())
        self.assertNotIn("v6.dest.example>", dsn["data"].decode())  # delivered: not reported

    def test_no_dsn_for_a_null_sender_message(self):
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(DotFailSink, "127.0.0.9", reply="554 5.6.0 Content rejected", times=None)
        origin = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender="")
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertTrue(r.wait_for_log("no DSN to <>: the null sender"), r.read_log()[-3000:])
        # The decision is made and logged; no DSN was queued, so none can reach the origin.
        self.assertNotRegex(r.read_log(), r"DSN \S+ queued to")
        self.assertEqual(origin.messages, [])
        self.assertEqual(self.spool_files(r), [])

    def test_no_dsn_when_the_senders_spf_failed(self):
        """No backscatter: the sender's domain says "-all" and the client (192.0.2.7, through
        the PROXY protocol) is not in it: SPF fail, so the refused recipient gets no DSN, and the
        log says why."""
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(DotFailSink, "127.0.0.9", reply="554 5.6.0 Content rejected", times=None)
        sender_mx = self.sink(AcceptingSink, "127.0.0.7")
        proxy_port = free_port()
        r = self.start(proxy_port=proxy_port)
        c = SmtpClient(proxy_port, prefix=b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n")
        self.assertTrue(c.banner.startswith("220"), c.banner)
        c.command("EHLO client.example.org")
        self.assertTrue(c.command("MAIL FROM:<author@spf-fail.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<v6@hikyaku.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<temp@hikyaku.example>").startswith("250"))
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send(MESSAGE.replace("\r\n.", "\r\n..") + ".\r\n")
        reply = c.reply()
        c.command("QUIT")
        c.close()
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertNotIn("delivery status notification", reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertTrue(r.wait_for_log(
            "no DSN to <author@spf-fail.example>: a sender whose SPF check failed"), r.read_log()[-3000:])
        self.assertIn("spf=fail", r.read_log())
        self.assertEqual(sender_mx.messages, [])
        self.assertEqual(self.spool_files(r), [])

    def test_destination_refusing_at_rcpt_does_not_hold_back_the_other(self):
        """The other destination is delivered in the session (the 250 comes after its upstream's
        250); the refusal gets a DSN."""
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(PermFailSink, "127.0.0.8")
        origin = self.sink(AcceptingSink, "127.0.0.7")
        r = self.start()
        _, reply = send(r, ["v6@hikyaku.example", "perm@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertIn("forwarded (", reply)
        self.assertTrue(origin.wait_for(1, timeout=30))
        data = origin.messages[0]["data"]
        self.assertIn(b"Status: 5.1.1", data)
        # The upstream echoed the private target; the DSN shows the address the sender used.
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1 <perm@hikyaku.example>: Recipient address", data)
        self.assertNotIn(b"user@perm.dest.example", data)
        self.assertIn("user@perm.dest.example", r.read_log())  # operators still see it
        self.assertEqual(len(v6.messages), 1)  # never sent again

    def test_destination_deferring_at_rcpt_does_not_hold_back_the_other(self):
        """A greylisting destination answers 450 at RCPT: the ready one is delivered in the
        session, the deferred part written to the spool before the 250, and after a kill -9 right
        after that 250 the restarted server delivers it, once."""
        v6 = self.sink(AcceptingSink, "::1")
        grey = self.sink(RcptDeferSink, "127.0.0.9", times=1)
        r = self.start(retry_interval="1h")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertIn("queued as", reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertEqual(grey.deferred, 1)
        self.assertEqual(len(self.spool_files(r)), 1)
        r.signal(9)
        r.proc.wait(timeout=30)
        self.relays.remove(r)  # killed on purpose: its exit status is no failure
        r.log.close()
        r2 = self.start(retry_interval="1h", port=r.port)
        self.assertTrue(r2.wait_for_log("1 entry resumed"), r2.read_log())
        code, out = self.queue_cli(r2, "flush")
        self.assertEqual(code, 0, out)
        self.assertTrue(grey.wait_for(1, timeout=30), r2.read_log()[-3000:])
        self.assertEqual(grey.messages[0]["rcpt_tos"], ["user@temp.dest.example"])
        deadline = time.time() + 30
        while self.spool_files(r2) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.spool_files(r2), [])
        self.assertEqual(len(v6.messages), 1)
        self.assertEqual(len(grey.messages), 1)

    def test_destination_deferring_at_end_of_data_does_not_hold_back_the_other(self):
        v6 = self.sink(AcceptingSink, "::1")
        late = self.sink(DotFailSink, "127.0.0.9", times=None)
        r = self.start(retry_interval="1h")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertIn("queued as", reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertEqual(late.refused, 1)
        self.assertEqual(len(self.spool_files(r)), 1)

    def test_stalled_destination_is_queued_after_the_session_budget(self):
        self.sink(StallingSink, "127.0.0.12")
        r = self.start(queue_extra='session_budget = "2s"', retry_interval="1h",
                       relay_extra='final_reply_timeout = "4s"')
        start = time.time()
        _, reply = send(r, ["stall@hikyaku.example"], sender=SENDER)
        elapsed = time.time() - start
        self.assertTrue(reply.startswith("250 2.0.0"), reply)
        self.assertIn("queued as", reply)
        self.assertGreaterEqual(elapsed, 1.9)
        self.assertLess(elapsed, 3.9)  # before the upstream's own timeout
        self.assertEqual(len(self.spool_files(r)), 1)
        self.assertIn("1 still in flight", r.read_log())
        # The delivery still under way ends (no reply to the dot) and its result reaches the
        # queue: the entry stays for a retry, with that error.
        self.assertTrue(r.wait_for_log("status=deferred", timeout=30), r.read_log()[-3000:])
        self.assertEqual(len(self.spool_files(r)), 1)

    def test_a_second_server_on_the_same_spool_does_not_start(self):
        """Two runners on one spool would deliver its entries twice, and the second would take
        over the control socket: it exits 2 (after the few seconds an offline verb may hold the
        lock), and the first keeps its socket."""
        r = self.start()
        second = Hikyaku(self.workdir, dns=self.nsd.address, relay_port=self.port, domains_extra=RULES)
        second.spool = r.spool
        second.write_config()
        proc = subprocess.run([HIKYAKU, "serve", "-c", second.config_path], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("is another server using this spool?); not starting", proc.stdout + proc.stderr)
        code, out = self.queue_cli(r, "list")
        self.assertEqual(code, 0, out)
        self.assertNotIn("offline", out)  # still answered by the first server over its socket

    def test_unwritable_spool_gives_452_and_nothing_is_claimed(self):
        # Nothing delivered (one destination defers at RCPT, the other refuses): the deferred
        # part and the DSN must be written, and cannot be.
        self.sink(TempFailSink, "::1")
        self.sink(PermFailSink, "127.0.0.8")
        r = self.start()
        # Root ignores permissions: make the spool path a file instead of a directory.
        shutil.rmtree(r.spool)
        with open(r.spool, "w") as f:
            f.write("not a directory\n")
        _, reply = send(r, ["v6@hikyaku.example", "perm@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("452 4.3.1"), reply)
        self.assertIn("cannot queue the undelivered part", r.read_log())

    def test_unwritable_spool_after_partial_delivery_gives_554_never_4xx(self):
        v6 = self.sink(AcceptingSink, "::1")
        self.sink(DotFailSink, "127.0.0.9", times=None)
        r = self.start()
        shutil.rmtree(r.spool)
        with open(r.spool, "w") as f:
            f.write("not a directory\n")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("554 5.3.1 Partially delivered (mx.v6.dest.example"), reply)
        self.assertIn("<temp@hikyaku.example>", reply)  # the address used, not the target
        self.assertNotIn("user@temp.dest.example", reply)
        self.assertEqual(len(v6.messages), 1)

    def test_free_space_floor_gives_452_before_anything_is_written(self):
        """[queue] min_free_space above what the spool's file system has: RCPT gets 452 4.3.1
        (RFC 3463 §3.4) and nothing is delivered or written; 0 turns the floor off."""
        v6 = self.sink(AcceptingSink, "::1")
        free = shutil.disk_usage(self.workdir).free
        r = self.start(queue_extra=f"min_free_space = {free * 4}")
        rcpt_replies, reply = send(r, ["v6@hikyaku.example"], sender=SENDER)
        self.assertIsNone(reply)
        self.assertTrue(rcpt_replies[0].startswith("452 4.3.1"), rcpt_replies)
        self.assertIn("below min_free_space", r.read_log())
        self.assertEqual(v6.messages, [])
        self.assertEqual(self.spool_files(r), [])
        r.stop()
        r2 = self.start(queue_extra="min_free_space = 0\nmin_free_inodes = 0", port=r.port)
        rcpt_replies, reply = send(r2, ["v6@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250"), (rcpt_replies, reply))
        self.assertEqual(len(v6.messages), 1)

    def test_spool_failure_after_the_budget_aborts_a_delivery_before_its_dot(self):
        """The destination is still before its final dot at the session budget and the spool
        cannot be written: the sender gets 452 4.3.1, so the upstream must never get the message
        (the transaction is closed without its dot when it gets there)."""
        slow = self.sink(SlowDataSink, "127.0.0.12", delay=4)
        r = self.start(queue_extra='session_budget = "2s"', retry_interval="1h")
        shutil.rmtree(r.spool)
        with open(r.spool, "w") as f:
            f.write("not a directory\n")
        _, reply = send(r, ["stall@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("452 4.3.1"), reply)
        self.assertTrue(r.wait_for_log("late result from stall.dest.example not queued", timeout=30),
                        r.read_log()[-3000:])
        deadline = time.time() + 10
        while slow.closed_without_dot + slow.dots == 0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(slow.dots, 0)
        self.assertEqual(slow.closed_without_dot, 1)

    def test_every_destination_temporary_stays_451_and_diskless(self):
        self.sink(DotFailSink, "127.0.0.9", times=None)
        r = self.start()
        _, reply = send(r, ["temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("451"), reply)
        self.assertEqual(self.spool_files(r), [])

    def test_spool_is_resumed_at_start_and_corrupt_files_are_skipped(self):
        temp = self.sink(DotFailSink, "127.0.0.9", times=1)
        v6 = self.sink(AcceptingSink, "::1")
        r = self.start(retry_interval="1h")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(v6.messages), 1)
        r.stop()
        [name] = self.spool_files(r)
        with open(os.path.join(r.spool, "BROKEN"), "w") as f:
            f.write("hikyaku-spool 1\ngarbage")
        r2 = self.start(retry_interval="1h", port=r.port)
        self.assertTrue(r2.wait_for_log("skipped spool file BROKEN"), r2.read_log())
        self.assertTrue(r2.wait_for_log("1 entry resumed"), r2.read_log())
        # Kept aside with its reason, and listed apart from the entries.
        self.assertNotIn("BROKEN", self.spool_files(r2))
        self.assertTrue(os.path.exists(os.path.join(r2.spool, "corrupt", "BROKEN")))
        with open(os.path.join(r2.spool, "corrupt", "BROKEN.reason")) as f:
            self.assertIn("truncated", f.read())
        code, out = self.queue_cli(r2, "list")
        self.assertEqual(code, 0, out)
        self.assertIn(name, out)
        self.assertIn("corrupt spool files kept aside (1)", out)
        self.assertRegex(out, r"corrupt/BROKEN: truncated")
        code, out = self.queue_cli(r2, "flush")
        self.assertEqual(code, 0, out)
        self.assertTrue(temp.wait_for(1, timeout=30), r2.read_log()[-3000:])
        deadline = time.time() + 30
        while name in self.spool_files(r2) and time.time() < deadline:
            time.sleep(0.05)
        self.assertNotIn(name, self.spool_files(r2))
        # Offline too; and a restart does not complain about it again.
        self.assertEqual(r2.stop(), 0)
        code, out = self.queue_cli(r2, "list")
        self.assertEqual(code, 0, out)
        self.assertIn("offline", out)
        self.assertRegex(out, r"corrupt/BROKEN: truncated")
        r3 = self.start(retry_interval="1h", port=r.port)
        self.assertTrue(r3.wait_for_log("1 kept aside in corrupt/"), r3.read_log())
        self.assertNotIn("skipped spool file BROKEN", r3.read_log())

    def test_start_up_keeps_only_the_metadata_of_a_large_spool_in_memory(self):
        """48 entries of 2 MiB (96 MiB of messages) in the spool: start-up reads their headers
        (checksums streamed), so the relay's resident memory grows by far less than that."""
        r0 = self.start(retry_interval="1h")
        self.assertTrue(r0.wait_for_log("0 entries resumed"), r0.read_log())
        base_kib = int(proc_status(r0.proc.pid, "VmRSS")[0])
        self.assertEqual(r0.stop(), 0)
        body = ("Subject: big\r\n\r\n" + "x" * 998 + "\r\n") * 2100
        later = int(time.time()) + 3600
        for i in range(48):
            write_spool_entry(r0.spool, f"BIG{i:03d}", "user@temp.dest.example", body, later)
        r = self.start(retry_interval="1h", port=r0.port)
        self.assertTrue(r.wait_for_log("48 entries resumed", timeout=60), r.read_log()[-3000:])
        grown_kib = int(proc_status(r.proc.pid, "VmRSS")[0]) - base_kib
        self.assertLess(grown_kib, 32 * 1024, f"RSS grew by {grown_kib} KiB")
        code, out = self.queue_cli(r, "list")
        self.assertEqual(code, 0, out)
        self.assertIn("48 entries", out)

    def test_queue_list_flush_delete_against_the_running_server_and_offline(self):
        self.sink(AcceptingSink, "::1")
        temp = self.sink(DotFailSink, "127.0.0.9", times=None)
        r = self.start(retry_interval="1h")
        ids = []
        for _ in range(2):
            _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
            self.assertTrue(reply.startswith("250"), reply)
            ids.append(re.search(r"queued as (\S+) for", reply).group(1))
        code, out = self.queue_cli(r, "list")
        self.assertEqual(code, 0, out)
        for qid in ids:
            self.assertIn(qid, out)
        self.assertIn(f"<{SENDER}>", out)
        self.assertIn("user@temp.dest.example", out)
        self.assertIn("mx.temp.dest.example said: 451 4.3.0", out)
        self.assertEqual(temp.refused, 2)
        code, out = self.queue_cli(r, "flush")
        self.assertEqual(code, 0, out)
        self.assertIn("2", out)
        deadline = time.time() + 30
        while temp.refused < 4 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(temp.refused, 4)
        code, out = self.queue_cli(r, "delete", ids[0])
        self.assertEqual(code, 0, out)
        self.assertNotIn(ids[0], self.spool_files(r))
        code, out = self.queue_cli(r, "delete", "NOSUCHID")
        self.assertEqual(code, 1, out)
        code, out = self.queue_cli(r, "list")
        self.assertNotIn(ids[0], out)
        self.assertIn(ids[1], out)
        # Offline: the server is gone, the spool is read directly.
        self.assertEqual(r.stop(), 0)
        code, out = self.queue_cli(r, "list")
        self.assertEqual(code, 0, out)
        self.assertIn("offline", out)
        self.assertIn(ids[1], out)
        code, out = self.queue_cli(r, "delete", ids[1])
        self.assertEqual(code, 0, out)
        self.assertEqual(self.spool_files(r), [])

    def test_queue_drain_waits_until_a_recovering_destination_took_everything(self):
        self.sink(AcceptingSink, "::1")
        # Refuses the in-session attempt and the first drain round, then accepts: drain must
        # make the entry due again (retry_interval alone would wait an hour).
        temp = self.sink(DotFailSink, "127.0.0.9", times=2)
        r = self.start(retry_interval="1h")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250"), reply)
        qid = re.search(r"queued as (\S+) for", reply).group(1)
        self.assertEqual(self.spool_files(r), [qid])
        code, out = self.queue_cli(r, "drain", "--timeout", "60s", "--retry-every", "1s")
        self.assertEqual(code, 0, out)
        self.assertIn("queue empty after", out)
        self.assertIn("1 entry left", out)
        self.assertEqual(temp.refused, 2)
        self.assertTrue(temp.wait_for(1, timeout=5))
        self.assertEqual(temp.messages[0]["rcpt_tos"], ["user@temp.dest.example"])
        self.assertEqual(self.spool_files(r), [])
        # An empty queue drains at once.
        code, out = self.queue_cli(r, "drain", "--timeout", "5s")
        self.assertEqual(code, 0, out)
        self.assertIn("queue empty after 0s", out)

    def test_queue_drain_times_out_listing_what_is_left(self):
        self.sink(AcceptingSink, "::1")
        temp = self.sink(DotFailSink, "127.0.0.9", times=None)
        r = self.start(retry_interval="1h")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250"), reply)
        qid = re.search(r"queued as (\S+) for", reply).group(1)
        started = time.monotonic()
        code, out = self.queue_cli(r, "drain", "--timeout", "3s", "--retry-every", "1s")
        self.assertEqual(code, 1, out)
        self.assertGreaterEqual(time.monotonic() - started, 3)
        self.assertIn("timed out after 3s; still queued:", out)
        self.assertIn(qid, out)
        self.assertIn("user@temp.dest.example", out)
        self.assertIn("mx.temp.dest.example said: 451 4.3.0", out)
        self.assertGreaterEqual(temp.refused, 2)  # in session, then at least one drain round
        self.assertEqual(self.spool_files(r), [qid])  # nothing lost by giving up
        # Bad durations are refused before anything is asked.
        code, out = self.queue_cli(r, "drain", "--timeout", "soon")
        self.assertEqual(code, 2, out)
        # Without a server there is nothing to drain: the spool stays as it is.
        self.assertEqual(r.stop(), 0)
        code, out = self.queue_cli(r, "drain", "--timeout", "5s")
        self.assertEqual(code, 2, out)
        self.assertIn("only a running server can drain its queue", out)
        self.assertEqual(self.spool_files(r), [qid])

    def test_queued_retry_keeps_smtputf8_and_8bitmime_of_an_ascii_envelope(self):
        # RFC 6531 §3.4: UTF-8 headers behind an ASCII envelope still need SMTPUTF8 upstream,
        # on the retry from the spool as on the first attempt.
        v6 = self.sink(AcceptingSink, "::1")
        temp = self.sink(DotFailSink, "127.0.0.9", times=1)
        r = self.start(retry_interval="1h")
        data = MESSAGE.replace("Subject: ", "Subject: caf\u00e9 ", 1)
        self.assertNotEqual(data, MESSAGE)
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], data=data, sender=SENDER,
                        mail_params=" SMTPUTF8 BODY=8BITMIME")
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual(len(v6.messages), 1)
        self.assertTrue(v6.messages[0]["smtp_utf8"], v6.messages[0])
        code, out = self.queue_cli(r, "flush")
        self.assertEqual(code, 0, out)
        self.assertTrue(temp.wait_for(1, timeout=30), r.read_log()[-3000:])
        retried = temp.messages[0]
        self.assertTrue(retried["smtp_utf8"], retried)
        self.assertIn("BODY=8BITMIME", retried["mail_options"])

    def test_offline_verbs_refused_while_a_server_holds_the_spool(self):
        self.sink(AcceptingSink, "::1")
        self.sink(DotFailSink, "127.0.0.9", times=None)
        r = self.start(retry_interval="1h")
        _, reply = send(r, ["v6@hikyaku.example", "temp@hikyaku.example"], sender=SENDER)
        self.assertTrue(reply.startswith("250"), reply)
        qid = re.search(r"queued as (\S+) for", reply).group(1)
        self.assertIn(".lock", os.listdir(r.spool))
        # The server runs but its control socket is gone: the CLI must not edit the spool.
        os.unlink(os.path.join(r.spool, "control.sock"))
        for args in (("delete", qid), ("flush",), ("list",)):
            code, out = self.queue_cli(r, *args)
            self.assertEqual(code, 2, out)
            self.assertIn("a server is running on this spool but its control socket does not answer",
                          out)
        self.assertIn(qid, self.spool_files(r))
        # Once the server is gone the lock is free and the offline verbs work.
        self.assertEqual(r.stop(), 0)
        code, out = self.queue_cli(r, "delete", qid)
        self.assertEqual(code, 0, out)
        self.assertEqual(self.spool_files(r), [])


if __name__ == "__main__":
    unittest.main()
