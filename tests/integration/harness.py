"""Integration-test harness: real processes on loopback ports the test picks.

Starts `hikyaku serve` with a config the test writes, talks to it with swaks or raw sockets,
and cleans up every process it started (by PID) even when a test fails.
"""
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import unittest

HIKYAKU = os.environ.get("HIKYAKU_BIN", "hikyaku")
SWAKS = "/usr/bin/swaks"


def free_port():
    """A TCP port free on both 127.0.0.1 and ::1 (the relay listens on both), drawn below the
    kernel's ephemeral range (32768+) so no client connection of a parallel test takes it."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4, \
                    socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s4.bind(("127.0.0.1", port))
                s6.bind(("::1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port on both 127.0.0.1 and ::1")


def make_certificate(directory, name="localhost"):
    """A self-signed certificate and key for STARTTLS tests."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    return cert, key


BASE_CONFIG = """
[server]
hostname = "{hostname}"
listen = {listen}
proxy_listen = {proxy_listen}
trusted_proxies = {trusted_proxies}
{server_extra}

{tls}

[dns]
servers = {dns_servers}
timeout = "3s"
trust_anchor_file = {trust_anchor}

[relay]
port = {relay_port}
helo_name = "out.hikyaku.test"
connect_timeout = "{connect_timeout}"
{relay_extra}

[queue]
directory = "{spool}"
retry_interval = "{retry_interval}"
{queue_extra}

{metrics}
[log]
level = "debug"

[[domain]]
name = "example.com"
[[domain.rule]]
address = "info"
forward = ["alice@dest.example"]
[[domain.rule]]
address = "sales"
forward = ["bob@dest.example", "carol@other.example"]
[[domain.rule]]
address = "noreply"
action = "drop"
[[domain.rule]]
address = "old"
action = "reject"
code = 550
text = "5.1.6 This address has moved; write to info@example.com"

[[domain]]
name = "catchall.example"
catch_all = {{ action = "forward", to = ["owner@dest.example"] }}
{domains_extra}
"""


class Hikyaku:
    """A running `hikyaku serve` with its own config file and log."""

    def __init__(self, workdir, port=None, proxy_port=None, server_extra="", tls=None,
                 domains_extra="", dns=None, relay_port=25, connect_timeout="5s", relay_extra="",
                 listen=None, queue_extra="", retry_interval="1s", hostname="mx.hikyaku.test",
                 trusted_proxies=("127.0.0.1", "::1"), metrics_port=None, metrics_extra="",
                 trust_anchor=""):
        self.workdir = workdir
        self.port = port or free_port()
        self.proxy_port = proxy_port
        self.trusted_proxies = list(trusted_proxies)
        self.config_path = os.path.join(workdir, "hikyaku.toml")
        self.log_path = os.path.join(workdir, "hikyaku.log")
        self.server_extra = server_extra
        self.tls = tls
        self.domains_extra = domains_extra
        # Never the system resolver: the test's own DNS server, or a closed loopback port.
        self.dns = dns or "127.0.0.1:9"
        self.relay_port = relay_port
        self.connect_timeout = connect_timeout
        self.relay_extra = relay_extra
        self.listen = listen  # None: 127.0.0.1 and ::1 on self.port
        # Each relay its own spool (two relays can share a workdir).
        self.spool = os.path.join(workdir, f"spool-{self.port}")
        self.queue_extra = queue_extra
        self.retry_interval = retry_interval
        # A second relay in a chain needs a name of its own: a relay greeted with its own name
        # takes the upstream for itself (a mail loop, RFC 5321 §5.1).
        self.hostname = hostname
        self.metrics_port = metrics_port  # None: no [metrics] endpoint
        self.metrics_extra = metrics_extra  # more [metrics] keys
        # DNSSEC trust anchors: none by default (the test zones are unsigned and NSD is not a
        # recursive resolver, so the root key could validate nothing); DANE tests give theirs.
        self.trust_anchor = trust_anchor
        self.proc = None
        self.write_config()

    def config_text(self, domains_extra=None):
        listen = self.listen or [f"127.0.0.1:{self.port}", f"[::1]:{self.port}"]
        proxy = [f"127.0.0.1:{self.proxy_port}"] if self.proxy_port else []
        tls = ""
        if self.tls:
            tls = f'[server.tls]\ncertificate = "{self.tls[0]}"\nprivate_key = "{self.tls[1]}"\n'
        return BASE_CONFIG.format(
            listen=str(listen).replace("'", '"'), proxy_listen=str(proxy).replace("'", '"'),
            trusted_proxies=str(self.trusted_proxies if proxy else []).replace("'", '"'),
            server_extra=self.server_extra, tls=tls, dns_servers=f'["{self.dns}"]',
            trust_anchor=f'"{self.trust_anchor}"',
            relay_port=self.relay_port, connect_timeout=self.connect_timeout,
            relay_extra=self.relay_extra, spool=self.spool, queue_extra=self.queue_extra,
            retry_interval=self.retry_interval, hostname=self.hostname,
            metrics=(f'[metrics]\nlisten = "127.0.0.1:{self.metrics_port}"\n{self.metrics_extra}'
                     if self.metrics_port else ""),
            domains_extra=self.domains_extra if domains_extra is None else domains_extra)

    def write_config(self, text=None):
        with open(self.config_path, "w") as f:
            f.write(text if text is not None else self.config_text())

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([HIKYAKU, "serve", "-c", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hikyaku exited at start:\n" + self.read_log())
            try:
                host, port = ("127.0.0.1", self.port)
                if self.listen:
                    host, _, port = self.listen[0].rpartition(":")
                    host, port = host.strip("[]"), int(port)
                with socket.create_connection((host, port), timeout=1) as s:
                    s.recv(512)
                    s.sendall(b"QUIT\r\n")
                    s.recv(512)
                # The probe's session must be gone before tests count connections.
                deadline = time.time() + 10
                while "disconnect from" not in self.read_log() and time.time() < deadline:
                    time.sleep(0.02)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("hikyaku did not start listening:\n" + self.read_log())

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_for_log(self, text, timeout=30):
        return self.wait_for_log_count(text, 1, timeout)

    def wait_for_log_count(self, text, count, timeout=30):
        """Waits until `text` occurs at least `count` times in the log."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.read_log().count(text) >= count:
                return True
            time.sleep(0.05)
        return False


def swaks(port, *args, server="127.0.0.1", timeout=60):
    """Runs swaks against the relay; returns (exit code, transcript)."""
    cmd = [SWAKS, "--server", server, "--port", str(port), "--helo", "client.example.org",
           "--timeout", "20", "--hide-informational", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


class SmtpClient:
    """A raw SMTP client over a socket, for what swaks cannot do (pipelined bytes, PROXY)."""

    def __init__(self, port, host="127.0.0.1", prefix=b"", read_banner=True):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect((host, port))
        self.buf = b""
        if prefix:
            self.sock.sendall(prefix)
        self.banner = self.reply() if read_banner else None

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """One whole (possibly multiline) reply, as text without the final CRLF."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got " + repr(self.buf))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return "\n".join(lines)

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self):
        """True when the server has closed the connection (reads EOF)."""
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

    def close(self):
        self.sock.close()


def connect_until_greeted(port, timeout=30):
    """Connects until the relay greets with 220 (a freed slot is given back just after the old
    connection closes); returns the client and the replies refused before it."""
    refused = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = SmtpClient(port)
        if c.banner.startswith("220"):
            return c, refused
        refused.append(c.banner)
        c.close()
        time.sleep(0.05)
    raise AssertionError(f"no 220 within {timeout}s; got {refused[-3:]}")


def descendants(pid):
    """{pid: argv} of every live descendant of `pid` (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), argv))
    out, todo = {}, [pid]
    while todo:
        for child, argv in children.get(todo.pop(), []):
            out[child] = argv
            todo.append(child)
    return out


def spf_helper_pids(relay_pid):
    """The relay's SPF helper processes (started directly or through its launcher)."""
    return [p for p, argv in descendants(relay_pid).items() if argv[1:2] == ["spf-helper"]]


def proc_status(pid, field):
    """A field of /proc/PID/status, split ("Uid:" -> ["0", "0", "0", "0"])."""
    with open(f"/proc/{pid}/status") as f:
        return next(line for line in f if line.startswith(field + ":")).split()[1:]


def vm_kib(pid, field):
    """A VmXXX line of /proc/PID/status, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


async def send_slowly(port, body, chunk, pause, started=None, reply_timeout=60):
    """One asyncio session sending `body` in `chunk`-sized pieces `pause` seconds apart; returns
    the reply to DATA (a 452 instead of 354) or to the end of the data. With `started` (an object
    with release() and an awaitable acquire_all()), every session is in its transaction before
    any sends DATA, so they all compete for the in-flight budget."""
    import asyncio
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply():
        lines = []
        while True:
            line = await asyncio.wait_for(reader.readline(), reply_timeout)
            if not line:
                raise ConnectionError("closed after " + repr(lines))
            lines.append(line.decode(errors="replace").rstrip("\r\n"))
            if line[3:4] != b"-":
                return lines[-1]

    try:
        greeting = await reply()
        assert greeting.startswith("220"), greeting
        for cmd in ("EHLO client.example.org", "MAIL FROM:<s@origin.example>",
                    "RCPT TO:<noreply@example.com>"):
            writer.write(cmd.encode() + b"\r\n")
            got = await reply()
            assert got.startswith("250"), got
        if started is not None:
            started.release()
            await started.acquire_all()
        writer.write(b"DATA\r\n")
        got = await reply()
        if not got.startswith("354"):
            return got  # refused before the message started
        view = memoryview(body)
        for i in range(0, len(body), chunk):
            writer.write(view[i:i + chunk])
            await writer.drain()
            await asyncio.sleep(pause)
        writer.write(b".\r\n")
        await writer.drain()
        return await reply()
    finally:
        writer.close()


def spool_entries(spool):
    """The queue entries of a spool directory: not the lock, the control socket or a tmp.* file."""
    try:
        return [n for n in os.listdir(spool)
                if not n.endswith(".sock") and n != ".lock" and not n.startswith("tmp.")
                and os.path.isfile(os.path.join(spool, n))]
    except OSError:
        return []


class WithoutAsanQuarantine:
    """For memory measurements (mixed in before RelayTestCase): under AddressSanitizer freed memory
    sits in a quarantine (256 MiB by default) and would be counted as the relay's, so the relays
    this test starts get none."""

    def setUp(self):
        super().setUp()
        self._asan = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = (self._asan + ":" if self._asan else "") + "quarantine_size_mb=0"

    def tearDown(self):
        if self._asan is None:
            os.environ.pop("ASAN_OPTIONS", None)
        else:
            os.environ["ASAN_OPTIONS"] = self._asan
        super().tearDown()

    def warmed_up_peak(self, relay):
        """The relay's peak memory (VmHWM, bytes) after one message has warmed it up (threads,
        pools, the first message's path): the baseline a measurement starts from."""
        c = SmtpClient(relay.port)
        c.command("EHLO client.example.org")
        c.command("MAIL FROM:<s@origin.example>")
        c.command("RCPT TO:<noreply@example.com>")
        c.command("DATA")
        self.assertTrue(c.command("Subject: warm\r\n\r\nup\r\n.").startswith("250"))
        c.command("QUIT")
        return vm_kib(relay.proc.pid, "VmHWM") * 1024


class RelayTestCase(unittest.TestCase):
    """Gives each test a temporary directory and stops every relay it started."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="hikyaku-it-")
        self.workdir = self._tmp.name
        self.relays = []

    def tearDown(self):
        codes = [r.stop() for r in self.relays]
        logs = [r.read_log() for r in self.relays]
        self._tmp.cleanup()
        # A clean drain exits 0; a sanitizer report or a crash does not.
        for code, log in zip(codes, logs):
            if code not in (0, None):
                self.fail(f"hikyaku exited with {code}:\n{log[-6000:]}")

    def relay(self, **kwargs):
        # A parallel test can take the port between free_port() and our bind: pick another.
        for attempt in range(5):
            r = Hikyaku(self.workdir, **kwargs)
            try:
                r.start()
            except RuntimeError as e:
                r.stop()
                if "Address already in use" in str(e) and "port" not in kwargs and attempt < 4:
                    continue
                raise
            self.relays.append(r)
            return r
