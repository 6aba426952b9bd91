"""Soak test: many messages through the whole pipeline while faults are injected everywhere
(DESIGN §1 step 7: nothing the relay said 250 to is lost).

Clients speak through the PROXY listener as 192.0.2.x, so SPF is checked by the relay's SPF
helpers (which the harness kills now and then). Each message has a unique X-Soak-Id header and
two recipients: one forwarded to a destination that always accepts, one to a destination
drawn at random from faulty MXes (connections dropped mid-DATA, 421, 451, 550, replies stalled
past the relay's timeouts) or to a domain whose DNS answers SERVFAIL or not at all. The relay is
killed with SIGKILL and restarted on the same spool `--kills` times while the load runs. Then
the faults stop, the queue is flushed and drained, and every (message, recipient) that got a
250 must have arrived (exactly once, or more often: a duplicate, counted) or be named in a DSN
at the sender domain's MX, or still be queued. Anything else is lost: exit 1.

    python3 tests/soak/soak.py [--messages N] [--sessions S] [--kills K] [--seed X]
HIKYAKU_BIN names the binary (`make soak` builds and passes it).
"""
import argparse
import asyncio
import email
import email.policy
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import HIKYAKU, Hikyaku, SmtpClient, free_port, spf_helper_pids, spool_entries  # noqa: E402
from nsd_harness import NsdServer  # noqa: E402
from sinks import _AsyncioSink  # noqa: E402
from slow_dns import UdpDnsForwarder, _qname  # noqa: E402

SOAK_ID = re.compile(rb"^X-Soak-Id: (\d+)\r?$", re.M | re.I)
# The relay's queue id in the Received: field it adds ("... with ESMTP id 0123ABCD.1 ...").
RELAY_QUEUE_ID = re.compile(rb"by mx\.hikyaku\.test[^;]*?\bid ([0-9A-F]+(?:\.\d+)?)", re.S)

DEST_ZONE = """$ORIGIN soak.example.
$TTL 60
@          IN SOA ns.soak.example. hostmaster.soak.example. 1 3600 600 86400 60
@          IN NS  ns.soak.example.
ns         IN A   127.0.0.1
good       IN MX  10 mx.good
mx.good    IN A   127.0.0.31
flaky      IN MX  10 mx.flaky
mx.flaky   IN A   127.0.0.32
flaky2     IN MX  10 mx.flaky2
mx.flaky2  IN A   127.0.0.33
dnsflaky 0 IN MX  10 mx.dnsflaky
mx.dnsflaky 0 IN A 127.0.0.34
"""

# The senders' domain: SPF passes the PROXY-claimed clients; its MX takes the DSNs.
SENDER_ZONE = """$ORIGIN sender.example.
$TTL 60
@          IN SOA ns.sender.example. hostmaster.sender.example. 1 3600 600 86400 60
@          IN NS  ns.sender.example.
ns         IN A   127.0.0.1
@          IN MX  10 mx
mx         IN A   127.0.0.35
@          IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
"""

RULES = """
[[domain]]
name = "hikyaku.example"
""" + "".join(f"""[[domain.rule]]
address = "{name}"
forward = ["user@{name}.soak.example"]
""" for name in ("good", "flaky", "flaky2", "dnsflaky"))

FAULTY_RCPTS = ["flaky@hikyaku.example", "flaky2@hikyaku.example", "dnsflaky@hikyaku.example"]
SENDER = "author@sender.example"

# What a faulty MX does with one transaction, and how often.
# (A greeting with 421 is drawn per connection, see FaultySink._serve.)
FAULTS = [("accept", 60), ("drop_mid_data", 8), ("rcpt_421", 4), ("dot_451", 12),
          ("rcpt_550", 6), ("dot_550", 3), ("stall", 3)]


class Recorder:
    """Arrivals per (soak id, recipient), shared by every sink; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = Counter()
        self.faults = Counter()
        self.times = {}  # (soak id, recipient) -> [(arrival time, relay queue id)]
        self.dsns = []  # raw DSN messages
        self.unparsed = 0

    def record(self, data, rcpts):
        header = data.split(b"\r\n\r\n", 1)[0]
        m = SOAK_ID.search(header)
        qid = RELAY_QUEUE_ID.search(header)
        now = time.time()
        with self.lock:
            if m is None:
                self.unparsed += 1
                return
            for r in rcpts:
                key = (int(m.group(1)), r)
                self.arrivals[key] += 1
                self.times.setdefault(key, []).append((now, qid.group(1).decode() if qid else "?"))

    def fault(self, kind):
        with self.lock:
            self.faults[kind] += 1


class FaultySink(_AsyncioSink):
    """An SMTP server that, per transaction, accepts or misbehaves as `FAULTS` weighs it while
    `faulty` is set, and only accepts once it is cleared. kind="dsn" records DSNs instead."""

    def __init__(self, host, port, recorder, rng, faulty=True, kind="dest"):
        super().__init__(host, port)
        self.recorder, self.rng, self.faulty, self.kind = recorder, rng, faulty, kind
        self.stall_seconds = 3600

    def pick(self):
        if not self.faulty:
            return "accept"
        names, weights = zip(*FAULTS)
        return self.rng.choices(names, weights)[0]

    async def _serve(self, reader, writer):
        self.connections += 1
        try:
            if self.faulty and self.rng.random() < 0.04:
                self.recorder.fault("greet_421")
                writer.write(b"421 4.3.2 soak.sink busy, come back later\r\n")
                await writer.drain()
                return
            writer.write(b"220 soak.sink ESMTP\r\n")
            mode, rcpts = None, []
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-soak.sink\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    mode, rcpts = self.pick(), []
                    writer.write(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    if mode == "rcpt_421":
                        self.recorder.fault(mode)
                        writer.write(b"421 4.7.0 soak.sink too many connections\r\n")
                        await writer.drain()
                        return
                    if mode == "rcpt_550":
                        self.recorder.fault(mode)
                        writer.write(b"550 5.1.1 no such user here\r\n")
                    else:
                        addr = line[8:].strip().decode(errors="replace").strip("<>")
                        rcpts.append(addr.split(" ")[0].rstrip(">"))
                        writer.write(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    if mode == "drop_mid_data":
                        self.recorder.fault(mode)
                        await reader.read(100)
                        writer.transport.abort()
                        return
                    chunks = []
                    while True:
                        chunk = await reader.readline()
                        if not chunk:
                            return
                        if chunk == b".\r\n":
                            break
                        chunks.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    if mode == "stall":
                        # Never answer the dot; hold the connection until the relay gives up.
                        self.recorder.fault(mode)
                        await asyncio.wait_for(reader.read(), self.stall_seconds)
                        return
                    if mode == "dot_451":
                        self.recorder.fault(mode)
                        writer.write(b"451 4.3.0 soak.sink temporary failure\r\n")
                    elif mode == "dot_550":
                        self.recorder.fault(mode)
                        writer.write(b"550 5.6.0 soak.sink content refused\r\n")
                    else:
                        data = b"".join(chunks)
                        if self.kind == "dsn":
                            with self.recorder.lock:
                                self.recorder.dsns.append(data)
                        else:
                            self.recorder.record(data, rcpts)
                        writer.write(b"250 2.0.0 Ok: queued\r\n")
                    mode, rcpts = None, []
                elif verb == b"RSET":
                    mode, rcpts = None, []
                    writer.write(b"250 2.0.0 ok\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    return
                else:
                    writer.write(b"250 2.0.0 ok\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


class FaultyDns(UdpDnsForwarder):
    """A UDP DNS forwarder to NSD that, while `faulty`, answers SERVFAIL to some queries for
    names under `marker` and drops others (the relay's lookup times out)."""

    def __init__(self, upstream_port, marker, rng, servfail=0.15, drop=0.05):
        super().__init__(upstream_port)
        self.marker, self.rng = marker, rng
        self.servfail, self.drop = servfail, drop
        self.faulty = True
        self.counts = Counter()

    def _answer(self, packet, client):
        name = _qname(packet)
        if self.faulty and len(packet) > 12 and name.endswith(self.marker):
            roll = self.rng.random()
            if roll < self.drop:
                self.counts["dropped"] += 1
                return
            if roll < self.drop + self.servfail:
                self.counts["servfail"] += 1
                # The query back with QR set, RA set, RCODE 2 (SERVFAIL), no answers.
                flags = struct.unpack("!H", packet[2:4])[0]
                flags = (flags | 0x8080) & 0xFFF0 | 2
                reply = packet[:2] + struct.pack("!H", flags) + packet[4:6] + b"\0\0\0\0\0\0"
                reply += packet[12:]
                # Keep only the question (drop an EDNS OPT record of the query, if any).
                reply = reply[:12 + _question_length(packet)]
                self._send(reply, client)
                return
        answer = self._forward(packet)
        if answer is not None:
            self._send(answer, client)


def _question_length(packet):
    i = 12
    while i < len(packet) and packet[i] != 0:
        i += 1 + packet[i]
    return i + 1 + 4 - 12


class Load:
    """`sessions` client threads sending `total` messages between them, a few per connection,
    through the PROXY listener. Each message's outcome is recorded by its soak id."""

    def __init__(self, relay, proxy_port, total, sessions, rng):
        self.relay, self.proxy_port = relay, proxy_port
        self.total, self.sessions = total, sessions
        self.rng = random.Random(rng.random())
        self.lock = threading.Lock()
        self.next_id = 0
        self.outcome = {}   # soak id -> "250" / "4xx" / "5xx" / "error"
        self.accepted_rcpts = {}  # soak id -> destination recipients whose RCPT got 250
        self.replies = Counter()
        self.threads = []

    def take_id(self):
        with self.lock:
            if self.next_id >= self.total:
                return None
            self.next_id += 1
            return self.next_id

    def acked(self):
        with self.lock:
            return sum(1 for v in self.outcome.values() if v == "250")

    def done(self):
        with self.lock:
            return len(self.outcome)

    def note(self, n, outcome, reply):
        with self.lock:
            self.outcome[n] = outcome
            self.replies[reply[:9] if reply else "no reply"] += 1

    def run_session(self, worker):
        rng = random.Random(self.rng.random() + worker)
        client_ip = f"192.0.2.{1 + worker % 250}"
        retry = None  # an id whose connection failed before its DATA: sent again, not counted
        while True:
            n, retry = (retry, None) if retry is not None else (self.take_id(), None)
            if n is None:
                return
            try:
                c = SmtpClient(self.proxy_port,
                               prefix=f"PROXY TCP4 {client_ip} 127.0.0.1 40000 25\r\n".encode())
                c.sock.settimeout(60)
                if not c.banner.startswith("220"):
                    self.note(n, c.banner[0] + "xx", c.banner)
                    c.close()
                    time.sleep(0.05)
                    continue
                c.command(f"EHLO client{worker}.sender.example")
                self.one_message(c, n, rng)
                # A few more transactions on the same connection.
                for _ in range(rng.randint(0, 4)):
                    n = self.take_id()
                    if n is None:
                        break
                    self.one_message(c, n, rng)
                try:
                    c.command("QUIT")
                except Exception:
                    pass
                c.close()
            except (OSError, ConnectionError) as e:
                with self.lock:
                    seen, data_sent = n in self.outcome, n in self.accepted_rcpts
                if n is not None and not seen:
                    if data_sent:
                        self.note(n, "error", f"error {type(e).__name__}")
                    else:
                        retry = n
                time.sleep(0.1)  # the relay may be down: do not spin

    def one_message(self, c, n, rng):
        # Mostly a good and a faulty destination (a mixed outcome goes to the queue); some
        # messages only to a faulty one (all temporary: 451 in the session, nothing queued).
        faulty = rng.choice(FAULTY_RCPTS)
        rcpts = ["good@hikyaku.example", faulty] if rng.random() < 0.8 else [faulty]
        reply = c.command(f"MAIL FROM:<{SENDER}>")
        if not reply.startswith("250"):
            self.note(n, reply[0] + "xx", reply)
            c.command("RSET")
            return
        accepted = []
        for r in rcpts:
            reply = c.command(f"RCPT TO:<{r}>")
            if reply.startswith("250"):
                accepted.append(f"user@{r.split('@')[0]}.soak.example")
        if not accepted:
            self.note(n, reply[0] + "xx", reply)
            c.command("RSET")
            return
        reply = c.command("DATA")
        if not reply.startswith("354"):
            self.note(n, reply[0] + "xx", reply)
            c.command("RSET")
            return
        body = (f"From: Author <{SENDER}>\r\nTo: soak@hikyaku.example\r\n"
                f"Subject: soak {n}\r\nMessage-ID: <soak-{n}@sender.example>\r\n"
                f"X-Soak-Id: {n}\r\n\r\n" + f"line {n}\r\n" * rng.randint(1, 40))
        c.send(body + ".\r\n")
        with self.lock:
            self.accepted_rcpts[n] = accepted
        reply = c.reply()
        self.note(n, "250" if reply.startswith("250") else reply[0] + "xx", reply)

    def start(self):
        for w in range(self.sessions):
            t = threading.Thread(target=self.run_session, args=(w,), daemon=True)
            t.start()
            self.threads.append(t)

    def alive(self):
        return any(t.is_alive() for t in self.threads)


def queued_ids(spool):
    """Soak ids of the messages still in the spool."""
    ids = set()
    for name in spool_entries(spool):
        try:
            with open(os.path.join(spool, name), "rb") as f:
                data = f.read()
        except OSError:
            continue
        ids.update(int(m) for m in SOAK_ID.findall(data))
    return ids


def forwarding_target(address):
    """The private target a DSN's recipient (the address the sender used) was forwarded to."""
    local, _, domain = address.lower().partition("@")
    return f"user@{local}.soak.example" if domain == "hikyaku.example" else address


def dsn_failures(recorder):
    """{(soak id, forwarding target)} named as failed in the DSNs received (a DSN names the address
    the sender used, never the private target); count of unparsable DSNs; count of DSNs that
    reveal a target."""
    failed, bad, revealing = Counter(), 0, 0
    for raw in recorder.dsns:
        # The report before the returned headers (which name only the sender's own recipients).
        report = raw.split(b"\r\n\r\n", 1)[-1].split(b"text/rfc822-headers", 1)[0]
        if re.search(rb"user@[a-z0-9]+\.soak\.example", report):
            revealing += 1
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        soak_id, rcpts = None, []
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype == "message/delivery-status":
                for group in part.get_payload()[1:]:
                    if str(group.get("Action", "")).strip().lower() == "failed":
                        final = str(group.get("Final-Recipient", ""))
                        rcpts.append(final.split(";", 1)[-1].strip())
            elif ctype in ("text/rfc822-headers", "message/rfc822"):
                payload = part.get_payload(decode=True) or part.as_bytes()
                m = SOAK_ID.search(payload)
                if m:
                    soak_id = int(m.group(1))
        if soak_id is None or not rcpts:
            bad += 1
            continue
        for r in rcpts:
            failed[(soak_id, forwarding_target(r))] += 1
    return failed, bad, revealing


def queue_cli(relay, *args):
    p = subprocess.run([HIKYAKU, "queue", *args, "-c", relay.config_path],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def run(args):
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="hikyaku-soak-")
    print(f"soak: seed {args.seed}, {args.messages} messages, {args.sessions} sessions, "
          f"{args.kills} kills, workdir {workdir}", flush=True)
    nsd = NsdServer({"soak.example": DEST_ZONE, "sender.example": SENDER_ZONE}).start()
    dns = FaultyDns(nsd.port, "dnsflaky.soak.example", random.Random(rng.random())).start()
    port = free_port()
    proxy_port = free_port()
    recorder = Recorder()
    sinks = [FaultySink("127.0.0.31", port, recorder, random.Random(), faulty=False).start(),
             FaultySink("127.0.0.32", port, recorder, random.Random(rng.random())).start(),
             FaultySink("127.0.0.33", port, recorder, random.Random(rng.random())).start(),
             FaultySink("127.0.0.34", port, recorder, random.Random(rng.random())).start(),
             FaultySink("127.0.0.35", port, recorder, random.Random(), faulty=False, kind="dsn").start()]
    relay = Hikyaku(workdir, proxy_port=proxy_port, dns=dns.address, relay_port=port,
                    domains_extra=RULES, retry_interval="1s",
                    server_extra=f"max_connections_per_ip = {args.sessions + 20}\n"
                                 f"max_connections = {args.sessions * 4 + 100}\n"
                                 "max_junk_commands = 1000",
                    connect_timeout="2s",
                    relay_extra='command_timeout = "5s"\n'
                                'data_start_timeout = "5s"\ndata_block_timeout = "5s"\n'
                                'final_reply_timeout = "3s"\ncommit_timeout = "5s"',
                    queue_extra='max_retry_interval = "4s"\nsession_budget = "4s"')
    load = Load(relay, proxy_port, args.messages, args.sessions, rng)
    kills_done, helper_kills, restarts = 0, 0, 0
    kill_times = []
    started = time.time()
    code = None
    try:
        relay.log_path = os.path.join(workdir, "hikyaku-0.log")
        relay.start()
        load.start()
        next_helper_kill = time.time() + rng.uniform(1, 4)
        while load.alive():
            time.sleep(0.2)
            done = load.done()
            # Kills spread evenly over the run, by messages answered.
            if kills_done < args.kills and done >= args.messages * (kills_done + 1) / (args.kills + 1):
                time.sleep(rng.uniform(0, 0.5))
                relay.proc.kill()  # SIGKILL, by the PID of the process we started
                kill_times.append(time.time())
                relay.proc.wait()
                relay.log.close()
                kills_done += 1
                print(f"[{time.time() - started:6.1f}s] kill -9 {kills_done}/{args.kills}: "
                      f"{done} answered, {load.acked()} acked, "
                      f"{len(spool_entries(relay.spool))} spool entries", flush=True)
                time.sleep(rng.uniform(0, 0.3))
                relay.log_path = os.path.join(workdir, f"hikyaku-{kills_done}.log")
                relay.start()
                restarts += 1
            if time.time() >= next_helper_kill:
                next_helper_kill = time.time() + rng.uniform(1, 4)
                for pid in spf_helper_pids(relay.proc.pid)[:1]:
                    try:
                        os.kill(pid, 9)  # a helper of the relay we started, by its PID
                        helper_kills += 1
                    except ProcessLookupError:
                        pass
        load_seconds = time.time() - started
        print(f"[{load_seconds:6.1f}s] load done: {load.done()} answered, {load.acked()} acked; "
              "faults off, draining", flush=True)
        for s in sinks:
            s.faulty = False
        dns.faulty = False
        deadline = time.time() + args.drain_seconds
        last_flush = 0
        while time.time() < deadline:
            left = spool_entries(relay.spool)
            if not left:
                break
            if time.time() - last_flush > 5:
                queue_cli(relay, "flush")
                last_flush = time.time()
            time.sleep(0.5)
        drain_seconds = time.time() - started - load_seconds
        # Let deliveries whose result is still on its way land before counting.
        time.sleep(1)
        code = relay.stop(timeout=60)
    finally:
        if relay.proc and relay.proc.poll() is None:
            relay.stop()
        for s in sinks:
            s.stop()
        dns.stop()
        nsd.stop()

    still_queued = queued_ids(relay.spool)
    dsn_failed, dsn_bad, dsn_revealing = dsn_failures(recorder)
    arrivals = recorder.arrivals
    table = Counter()
    lost = []
    for n, outcome in load.outcome.items():
        table["sent"] += 1
        table[{"250": "250", "4xx": "4xx in session", "5xx": "5xx in session"}.get(
            outcome, "no reply (connection lost: relay killed)")] += 1
        if outcome != "250":
            if any(arrivals[(n, r)] for r in load.accepted_rcpts.get(n, [])):
                table["delivered without a 250 (session cut)"] += 1
            continue
        for r in load.accepted_rcpts[n]:
            table["recipients with 250"] += 1
            got = arrivals[(n, r)]
            if got == 1:
                table["delivered once"] += 1
            elif got > 1:
                table["delivered twice or more (duplicates)"] += 1
                times = [t for t, _ in recorder.times[(n, r)]]
                # RFC 1047's window: the upstream said 250, the relay was killed before its
                # spool rewrite, the restarted relay sent it again. A kill lies between them.
                if any(times[0] <= k <= times[-1] for k in kill_times):
                    table["  of which a kill -9 lies between the arrivals"] += 1
                else:
                    table["  of which NO kill between the arrivals"] += 1
            elif dsn_failed[(n, r)]:
                table["DSN (failed)"] += 1
            elif n in still_queued:
                table["still queued"] += 1
            else:
                table["LOST"] += 1
                lost.append((n, r))
            if got and dsn_failed[(n, r)]:
                table["delivered and also DSN'd"] += 1
    table["DSN messages received"] = len(recorder.dsns)
    table["DSNs not parsed"] = dsn_bad
    table["DSNs naming a private forwarding target"] = dsn_revealing
    table["arrivals without X-Soak-Id"] = recorder.unparsed
    order = ["sent", "250", "4xx in session", "5xx in session", "no reply (connection lost: relay killed)",
             "recipients with 250", "delivered once", "delivered twice or more (duplicates)",
             "  of which a kill -9 lies between the arrivals", "  of which NO kill between the arrivals",
             "DSN (failed)", "still queued", "LOST", "delivered and also DSN'd",
             "delivered without a 250 (session cut)", "DSN messages received", "DSNs not parsed",
             "DSNs naming a private forwarding target", "arrivals without X-Soak-Id"]
    print("\n| outcome | count |\n|---|---:|")
    for k in order:
        print(f"| {k} | {table[k]} |")
    print(f"\nkill -9 + restart: {kills_done}; SPF helpers killed: {helper_kills}; "
          f"load {load_seconds:.0f}s, drain {drain_seconds:.0f}s; final exit code {code}")
    print("sink faults injected:", dict(recorder.faults))
    print("DNS faults injected:", dict(dns.counts))
    print("DATA/other replies seen:", dict(load.replies.most_common(12)))
    dups = sorted(k for k, v in arrivals.items() if v > 1)
    for key in dups[:30]:
        print("duplicate", key, "arrived at", ", ".join(
            f"+{t - started:.2f}s (relay id {q})" for t, q in recorder.times[key]),
            "; kills at", ", ".join(f"+{k - started:.2f}s" for k in kill_times))
    if lost:
        print("lost (soak id, recipient):", lost[:30])
        print("logs in", workdir)
    return table, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=30000)
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--drain-seconds", type=int, default=180)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    if not 1 <= args.sessions <= 250:
        ap.error("--sessions must be 1..250")
    table, code = run(args)
    ok = (table["LOST"] == 0 and table["250"] > 0 and code == 0
          and table["DSNs naming a private forwarding target"] == 0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
