"""The relay as a service: [log] format = "json" read back line by line, the sd_notify protocol
(sd_notify(3): READY=1, RELOADING=1 with MONOTONIC_USEC, STOPPING=1, WATCHDOG=1) with this test
as the service manager on a unix datagram socket, and deploy/systemd/hikyaku.service checked by
systemd-analyze verify and security."""
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import HIKYAKU, Hikyaku, RelayTestCase, SmtpClient, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(REPO, "deploy", "systemd", "hikyaku.service")

ZONE = """$ORIGIN dest.example.
$TTL 60
@        IN SOA ns.dest.example. hostmaster.dest.example. 1 3600 600 86400 60
@        IN NS  ns.dest.example.
ns       IN A   127.0.0.1
json     IN MX  10 mx.json
mx.json  IN A   127.0.0.1
"""
ORIGIN_ZONE = """$ORIGIN origin.example.
$TTL 60
@        IN SOA ns.origin.example. hostmaster.origin.example. 1 3600 600 86400 60
@        IN NS  ns.origin.example.
ns       IN A   127.0.0.1
"""
RULES = """
[[domain]]
name = "hikyaku.example"
[[domain.rule]]
address = "logs"
forward = ["user@json.dest.example"]
"""
MESSAGE = ("From: Sender <sender@origin.example>\r\nTo: logs@hikyaku.example\r\n"
           "Subject: json logs\r\nMessage-ID: <json-1@origin.example>\r\n\r\nHello.\r\n")


def with_log_keys(config_text, keys):
    marker = '[log]\nlevel = "debug"\n'
    assert marker in config_text
    return config_text.replace(marker, marker + keys)


class JsonLogs(RelayTestCase):
    def setUp(self):
        super().setUp()
        self.nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
        self.port = free_port()
        self.sink = AcceptingSink("127.0.0.1", self.port).start()

    def tearDown(self):
        self.sink.stop()
        self.nsd.stop()
        super().tearDown()

    def test_every_line_is_a_json_object_with_the_event_fields(self):
        relay = Hikyaku(self.workdir, dns=self.nsd.address, relay_port=self.port, domains_extra=RULES)
        relay.write_config(with_log_keys(relay.config_text(), 'format = "json"\n'))
        self.relays.append(relay)
        relay.start()
        c = SmtpClient(relay.port)
        c.command("EHLO client.example.org")
        self.assertTrue(c.command("MAIL FROM:<sender@origin.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<logs@hikyaku.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<nobody@hikyaku.example>").startswith("550"))
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send(MESSAGE + ".\r\n")
        self.assertTrue(c.reply().startswith("250"))
        c.command("QUIT")
        c.close()
        self.assertTrue(self.sink.wait_for(1))
        self.assertEqual(relay.stop(), 0)

        lines = [line for line in relay.read_log().splitlines() if line]
        events = []
        for line in lines:
            obj = json.loads(line)  # every line, start-up and shutdown included
            for key in ("time", "level", "pid", "event", "message"):
                self.assertIn(key, obj, line)
            self.assertRegex(obj["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(obj["pid"], relay.proc.pid, line)
            events.append(obj)

        def one(event, **match):
            found = [e for e in events if e["event"] == event and all(e.get(k) == v for k, v in match.items())]
            self.assertTrue(found, f"no {event} event with {match} in:\n" + "\n".join(lines))
            return found[0]

        rcpt = one("rcpt", rcpt="logs@hikyaku.example")
        self.assertEqual(rcpt["action"], "forward")
        self.assertEqual(rcpt["to"], ["user@json.dest.example"])
        self.assertRegex(rcpt["id"], r"^[0-9A-F]{12}\.1$")
        session = rcpt["id"].split(".")[0]
        one("connect", id=session, client="127.0.0.1")
        reject = one("reject", to=["nobody@hikyaku.example"])
        self.assertEqual(reject["client"], "127.0.0.1")
        self.assertEqual(reject["reply_code"], 550)
        self.assertEqual(reject["reply_enhanced"], "5.1.1")
        self.assertEqual(reject["helo"], "client.example.org")
        self.assertEqual(reject["from"], "sender@origin.example")
        auth = one("auth", id=rcpt["id"])
        for key in ("spf", "spf_helo", "dkim", "arc", "dmarc"):
            self.assertIn(key, auth, auth)
        self.assertEqual(auth["dmarc"], "none")  # origin.example publishes no DMARC record
        outcome = one("outcome", status="sent")
        self.assertEqual(outcome["id"], rcpt["id"])
        self.assertEqual(outcome["client"], "127.0.0.1")
        self.assertEqual(outcome["from"], "sender@origin.example")
        self.assertEqual(outcome["to"], ["logs@hikyaku.example"])
        self.assertEqual(outcome["message_id"], "json-1@origin.example")
        self.assertIsInstance(outcome["size"], int)
        self.assertEqual(outcome["size"], len(MESSAGE))  # the bytes received
        self.assertIsInstance(outcome["delay"], float)
        self.assertEqual(outcome["reply_code"], 250)
        self.assertEqual(outcome["reply_enhanced"], "2.0.0")
        delivery = one("delivery", domain="json.dest.example")
        self.assertEqual(delivery["id"], rcpt["id"])
        self.assertEqual(delivery["to"], ["user@json.dest.example"])
        self.assertIn("[127.0.0.1]:%d" % self.port, delivery["relay"])
        self.assertEqual(delivery["reply_code"], 250)
        one("disconnect", id=session, client="127.0.0.1")
        self.assertTrue(any(e["level"] == "info" and "started" in e["message"] for e in events))


    def test_format_and_target_wait_for_a_restart(self):
        relay = Hikyaku(self.workdir)
        relay.write_config(with_log_keys(relay.config_text(), 'format = "json"\n'))
        self.relays.append(relay)
        relay.start()
        relay.write_config(with_log_keys(relay.config_text(), 'format = "text"\ntarget = "journald"\n'))
        relay.signal(signal.SIGHUP)
        self.assertTrue(relay.wait_for_log("reloaded", timeout=60), relay.read_log())
        self.assertEqual(relay.stop(), 0)
        lines = relay.read_log().splitlines()
        objects = [json.loads(line) for line in lines if line]  # still JSON on stderr after the reload
        warnings = [o["message"] for o in objects if o["level"] == "warning"]
        for key in ("log.format", "log.target"):
            self.assertIn(f"reload: {key} differs from the running value; it takes effect at the next restart",
                          warnings)


def private_run_systemd(directory):
    """A command prefix that runs the rest with `directory` mounted over /run/systemd in a mount
    namespace of its own (root only), so libsystemd's journal socket is this test's; None when
    this machine cannot."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or not os.path.isdir("/run/systemd"):
        return None
    prefix = ["unshare", "-m", "--propagation", "private", "sh", "-c",
              'mount --bind "$0" /run/systemd && exec "$@"', directory]
    r = subprocess.run(prefix + ["true"], capture_output=True, timeout=30)
    return prefix if r.returncode == 0 else None


class JournaldTarget(RelayTestCase):
    """[log] target = "journald" against a journal socket this test owns (journald's native
    protocol: one datagram of FIELD=value lines per entry)."""

    def setUp(self):
        super().setUp()
        self.run_dir = os.path.join(self.workdir, "run-systemd")
        os.makedirs(os.path.join(self.run_dir, "journal"))
        self.prefix = private_run_systemd(self.run_dir)
        if self.prefix is None:
            self.skipTest("needs root and unshare(1) to give the relay a journal socket of its own")

    def start(self, with_journal):
        self.journal = None
        if with_journal:
            self.journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.journal.bind(os.path.join(self.run_dir, "journal", "socket"))
            # Read at once, as journald does: a unix datagram socket holds only a few entries
            # (net.unix.max_dgram_qlen) and a sender blocks when they are not taken.
            self.received = []
            self.reader = threading.Thread(target=self.read_journal, daemon=True)
            self.reader.start()
        relay = Hikyaku(self.workdir)
        relay.write_config(with_log_keys(relay.config_text(), 'target = "journald"\n'))
        relay.log = open(relay.log_path, "w")
        relay.proc = subprocess.Popen(self.prefix + [HIKYAKU, "serve", "-c", relay.config_path],
                                      stdout=relay.log, stderr=subprocess.STDOUT)
        self.relays.append(relay)
        deadline = time.monotonic() + 60
        while True:  # until the listener is up
            try:
                c = SmtpClient(relay.port)
                break
            except OSError:
                self.assertIsNone(relay.proc.poll(), relay.read_log())
                self.assertLess(time.monotonic(), deadline, relay.read_log())
                time.sleep(0.05)
        self.assertTrue(c.banner.startswith("220"), c.banner)
        c.command("EHLO client.example.org")
        c.command("MAIL FROM:<a@origin.example>")
        c.command("RCPT TO:<nobody@example.com>")
        c.command("QUIT")
        c.close()
        return relay

    def read_journal(self):
        while True:
            try:
                data = self.journal.recv(1 << 16).decode()
            except OSError:
                return
            self.received.append(dict(line.split("=", 1) for line in data.split("\n") if "=" in line))

    def entries(self, until_event, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = list(self.received)
            if any(f.get("HIKYAKU_EVENT") == until_event for f in found):
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {until_event} entry in {self.received}")

    def tearDown(self):
        super().tearDown()
        if getattr(self, "journal", None):
            self.journal.shutdown(socket.SHUT_RDWR)
            self.journal.close()
            self.reader.join(timeout=10)

    def test_native_fields(self):
        relay = self.start(with_journal=True)
        entries = self.entries("reject")
        self.assertEqual(relay.stop(), 0)
        by_event = {}
        for e in entries:
            self.assertEqual(e["SYSLOG_IDENTIFIER"], "hikyaku", e)
            self.assertIn(e["PRIORITY"], ("2", "3", "4", "6", "7"), e)
            self.assertRegex(e["MESSAGE_ID"], r"^[0-9a-f]{32}$")
            by_event.setdefault(e["HIKYAKU_EVENT"], e)
        connect = by_event["connect"]
        self.assertEqual(connect["PRIORITY"], "6")
        self.assertEqual(connect["MESSAGE_ID"], "1420004af64544f2b5d81768f8806fba")
        self.assertEqual(connect["HIKYAKU_CLIENT"], "127.0.0.1")
        self.assertTrue(connect["MESSAGE"].startswith(connect["HIKYAKU_ID"] + ": connect from [127.0.0.1]:"))
        reject = by_event["reject"]
        self.assertEqual(reject["MESSAGE_ID"], "8c24f019675d40f7836ac9fcec662bc5")
        self.assertEqual(reject["HIKYAKU_REPLY_CODE"], "550")
        self.assertEqual(reject["HIKYAKU_TO"], "<nobody@example.com>")
        self.assertEqual(reject["HIKYAKU_HELO"], "client.example.org")
        self.assertNotEqual(by_event["log"]["MESSAGE_ID"], connect["MESSAGE_ID"])
        # Sent to the journal, so not written to stderr.
        self.assertNotIn("connect from", relay.read_log())

    def test_without_a_journal_lines_go_to_stderr_as_text(self):
        relay = self.start(with_journal=False)
        self.assertTrue(relay.wait_for_log("reject: RCPT from [127.0.0.1]"), relay.read_log())
        self.assertEqual(relay.stop(), 0)
        self.assertIn("there is no journal socket: logging to stderr", relay.read_log())
        for line in relay.read_log().splitlines():
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hikyaku\[\d+\] \w+: ")


class NotifySocket:
    """The service manager's end of sd_notify(3): a unix datagram socket."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received = []  # (time.monotonic(), {field: value})

    def next(self, wanted, timeout=60):
        """The next message with `wanted` (e.g. "READY") set; others are kept in received."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            self.received.append((time.monotonic(), fields))
            if wanted in fields:
                return fields
        raise AssertionError(f"no {wanted}= within {timeout}s; got {[f for _, f in self.received]}")

    def close(self):
        self.sock.close()


class ServiceNotify(RelayTestCase):
    def start_notified(self, relay, env_extra):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path, **env_extra)
        relay.log = open(relay.log_path, "w")
        relay.proc = subprocess.Popen([HIKYAKU, "serve", "-c", relay.config_path], env=env,
                                      stdout=relay.log, stderr=subprocess.STDOUT)
        self.relays.append(relay)
        return relay

    def setUp(self):
        super().setUp()
        self.notify = NotifySocket(self.workdir)

    def tearDown(self):
        super().tearDown()
        self.notify.close()

    def test_ready_reload_watchdog_stopping(self):
        relay = Hikyaku(self.workdir)
        self.start_notified(relay, {"WATCHDOG_USEC": "200000"})
        ready = self.notify.next("READY")
        # READY=1 comes once the listener is bound: it answers at once, without a retry.
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
            s.settimeout(30)
            self.assertTrue(s.recv(512).startswith(b"220 "))
            s.sendall(b"QUIT\r\n")
            s.recv(512)
        self.assertIn("accepting mail", ready.get("STATUS", ""))
        self.assertIn("entries resumed from", relay.read_log())  # the spool scan had ended
        # No READY=1 before this one.
        self.assertEqual([f for _, f in self.notify.received].count(ready), 1)

        # SIGHUP: RELOADING=1 with the monotonic clock, then READY=1.
        before = time.monotonic()
        relay.signal(signal.SIGHUP)
        reloading = self.notify.next("RELOADING")
        after = time.monotonic()
        self.assertEqual(reloading["RELOADING"], "1")
        usec = int(reloading["MONOTONIC_USEC"])
        self.assertLessEqual(before * 1e6 - 1000, usec)
        self.assertLessEqual(usec, after * 1e6 + 1000)
        reloaded = self.notify.next("READY")
        self.assertIn("accepting mail", reloaded.get("STATUS", ""))
        self.assertTrue(relay.wait_for_log("reloaded"))

        # A bad file: RELOADING=1, the old configuration kept, READY=1 saying so.
        relay.write_config(relay.config_text() + "\n[log]\nlevel = \"loud\"\n")
        relay.signal(signal.SIGHUP)
        self.notify.next("RELOADING")
        kept = self.notify.next("READY")
        self.assertIn("reload failed", kept.get("STATUS", ""))
        relay.write_config()

        # WATCHDOG_USEC=200000: pings every 100 ms from the event loop.
        start = time.monotonic()
        self.notify.received.clear()
        pings = 0
        while pings < 5:
            self.notify.next("WATCHDOG", timeout=30)
            pings += 1
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

        relay.signal(signal.SIGTERM)
        stopping = self.notify.next("STOPPING")
        self.assertEqual(stopping["STOPPING"], "1")
        self.assertEqual(relay.proc.wait(timeout=60), 0)

    def test_ready_waits_for_the_spool(self):
        # Another holder of the spool's lock keeps the start-up in QueueRunner::start (it waits a
        # few seconds for an offline `hikyaku queue` verb): bound, but not ready.
        relay = Hikyaku(self.workdir)
        os.makedirs(relay.spool, exist_ok=True)
        lock = open(os.path.join(relay.spool, ".lock"), "w")
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            self.start_notified(relay, {})
            deadline = time.monotonic() + 60
            while True:  # the listener is bound (the kernel completes the handshake)...
                try:
                    probe = socket.create_connection(("127.0.0.1", relay.port), timeout=1)
                    break
                except OSError:
                    self.assertIsNone(relay.proc.poll(), relay.read_log())
                    self.assertLess(time.monotonic(), deadline, relay.read_log())
                    time.sleep(0.02)
            # ...and no READY=1 has been sent (sd_notify is a synchronous send: it would be queued).
            self.notify.sock.setblocking(False)
            try:
                early = self.notify.sock.recv(4096)
            except BlockingIOError:
                early = b""
            self.assertNotIn(b"READY=1", early)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
        self.notify.next("READY")
        probe.settimeout(30)
        self.assertTrue(probe.recv(512).startswith(b"220 "))
        probe.close()
        self.assertIn("entries resumed from", relay.read_log())

    def test_ready_and_stopping_when_the_spool_cannot_be_used(self):
        # A spool that cannot be made is logged, not fatal (mixed outcomes get 452): the relay is
        # ready at once, and a SIGTERM right after READY=1 finds the signal handlers in place.
        relay = Hikyaku(self.workdir)
        blocker = os.path.join(self.workdir, "not-a-directory")
        open(blocker, "w").close()
        relay.spool = os.path.join(blocker, "spool")
        relay.write_config()
        self.start_notified(relay, {})
        self.notify.next("READY")
        relay.signal(signal.SIGTERM)
        self.notify.next("STOPPING")
        self.assertEqual(relay.proc.wait(timeout=60), 0, relay.read_log())
        self.assertIn("queue: cannot use the spool", relay.read_log())

    def test_without_watchdog_usec_there_are_no_pings(self):
        relay = Hikyaku(self.workdir)
        self.start_notified(relay, {})
        self.notify.next("READY")
        relay.signal(signal.SIGTERM)
        self.notify.next("STOPPING")
        self.assertEqual(relay.proc.wait(timeout=60), 0)
        self.assertFalse(any("WATCHDOG" in f for _, f in self.notify.received), self.notify.received)

    def test_bad_config_exits_2_without_ready(self):
        relay = Hikyaku(self.workdir)
        relay.write_config(with_log_keys(relay.config_text(), 'format = "xml"\n'))
        self.start_notified(relay, {})
        self.assertEqual(relay.proc.wait(timeout=60), 2)
        relay.proc = None  # its exit status is the point of this test
        relay.log.close()
        self.assertIn('unknown format "xml"', relay.read_log())
        with self.assertRaises(AssertionError):
            self.notify.next("READY", timeout=1)


class SystemdUnit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hikyaku-unit-")
        # verify checks that ExecStart names an executable: the built binary stands in.
        with open(UNIT) as f:
            self.text = f.read()
        self.unit = os.path.join(self.tmp.name, "hikyaku.service")
        binary = os.path.abspath(shutil.which(HIKYAKU) or HIKYAKU)
        with open(self.unit, "w") as f:
            f.write(self.text.replace("/usr/local/bin/hikyaku", binary))
        # The SPF helper launcher's socket and service, beside it.
        self.spf = {}
        for name in ["hikyaku-spf.socket", "hikyaku-spf.service"]:
            with open(os.path.join(os.path.dirname(UNIT), name)) as f:
                self.spf[name] = f.read()
            with open(os.path.join(self.tmp.name, name), "w") as f:
                f.write(self.spf[name].replace("/usr/local/bin/hikyaku", binary))

    def tearDown(self):
        self.tmp.cleanup()

    def directive(self, name):
        found = re.findall(rf"^{name}=(.*)$", self.text, re.M)
        self.assertTrue(found, name)
        return found

    def test_verify(self):
        r = subprocess.run(["systemd-analyze", "verify", self.unit, "hikyaku-spf.socket", "hikyaku-spf.service"],
                           capture_output=True, text=True, timeout=120, cwd=self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "", r.stderr)

    def test_security_exposure(self):
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", self.unit],
                           capture_output=True, text=True, timeout=120, cwd=self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"Overall exposure level for hikyaku\.service: (\d+\.\d+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout[-2000:])
        print(f"\nsystemd-analyze security: exposure {m.group(1)} {m.group(2)}")
        self.assertLessEqual(float(m.group(1)), 1.7, r.stdout)
        # The SPF helpers' unit: no capabilities, no network, its own user.
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", "hikyaku-spf.service"],
                           capture_output=True, text=True, timeout=120, cwd=self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"Overall exposure level for hikyaku-spf\.service: (\d+\.\d+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout[-2000:])
        print(f"systemd-analyze security: hikyaku-spf.service exposure {m.group(1)} {m.group(2)}")
        self.assertLessEqual(float(m.group(1)), 1.0, r.stdout)

    def test_spf_helpers_run_as_their_own_user(self):
        def directive(text, name):
            return re.findall(rf"^{name}=(.*)$", text, re.M)
        service, socket_unit = self.spf["hikyaku-spf.service"], self.spf["hikyaku-spf.socket"]
        self.assertEqual(directive(service, "User"), ["hikyaku-spf"])
        self.assertEqual(directive(service, "CapabilityBoundingSet"), [""])
        self.assertEqual(directive(service, "PrivateNetwork"), ["yes"])
        self.assertEqual(directive(service, "RestrictAddressFamilies"), ["AF_UNIX"])
        self.assertEqual(directive(service, "ExecStart"), ["/usr/local/bin/hikyaku spf-launcher hikyaku-spf"])
        # Only the relay's user may ask for helpers.
        self.assertEqual(directive(socket_unit, "SocketUser"), ["hikyaku"])
        self.assertEqual(directive(socket_unit, "SocketMode"), ["0600"])
        path = directive(socket_unit, "ListenSequentialPacket")[0]
        self.assertIn(f'spf_launcher_socket = "{path}"', self.text)
        self.assertIn("hikyaku-spf.socket", self.directive("Wants")[0])
        with open(os.path.join(os.path.dirname(UNIT), "hikyaku.sysusers")) as f:
            users = [line.split()[1] for line in f if line.startswith("u ")]
        self.assertEqual(users, ["hikyaku", "hikyaku-spf"])

    def test_contract_directives(self):
        self.assertEqual(self.directive("Type"), ["notify"])
        self.assertEqual(self.directive("RestartPreventExitStatus"), ["2"])
        self.assertEqual(self.directive("CapabilityBoundingSet"), ["CAP_NET_BIND_SERVICE"])
        self.assertEqual(self.directive("AmbientCapabilities"), ["CAP_NET_BIND_SERVICE"])
        self.assertEqual(self.directive("ProtectSystem"), ["strict"])
        self.assertEqual(self.directive("StateDirectory"), ["hikyaku"])
        self.assertIn("@system-service", self.directive("SystemCallFilter")[0])
        self.assertNotIn("DynamicUser=yes", self.text)
        # The drain fits: shutdown_grace's default, 1 s of upstream QUITs, 10 s of spool writes.
        stop = int(re.fullmatch(r"(\d+)s", self.directive("TimeoutStopSec")[0]).group(1))
        with open(os.path.join(REPO, "conf", "hikyaku.toml")) as f:
            grace = int(re.search(r'^# shutdown_grace = "(\d+)s"', f.read(), re.M).group(1))
        self.assertGreater(stop, grace + 1 + 10)
        # The watchdog period is the loop's ping interval times two, well above one 20 ms tick.
        self.assertRegex(self.directive("WatchdogSec")[0], r"^\d+s$")


if __name__ == "__main__":
    unittest.main()
