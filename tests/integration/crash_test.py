"""Crash test for the durable queue (DESIGN §1 step 7: nothing Hikyaku said 250 to is lost).

Under a steady load of messages forwarded to two destinations, one of which fails temporarily
at random (451 to the final dot, so the failed part goes to the queue), the server is killed
with SIGKILL N times at random moments and restarted on the same spool. Then the destination
recovers, the queue drains, and the sinks are counted by Message-ID: every message that got a
250 must have reached both destinations at least once. Duplicates (allowed: RFC 1047, a kill
between an upstream's 250 and our spool rewrite) are reported separately.

    python3 crash_test.py [--kills N] [--seed S]      (HIKYAKU_BIN names the binary)
Exit 0 when nothing was lost, 1 otherwise.
"""
import argparse
import random
import sys
import tempfile
import threading
import time

from harness import Hikyaku, SmtpClient, free_port, spool_entries
from nsd_harness import NsdServer
from sinks import AcceptingSink
from test_forwarding import ORIGIN_ZONE, RULES, ZONE

RCPTS = ["v6@hikyaku.example", "temp@hikyaku.example"]


class FlakySink(AcceptingSink):
    """Answers the final dot with 451 at random while `flaky` is set."""

    def __init__(self, host, port, rate, rng):
        super().__init__(host, port)
        self.flaky, self.rate, self.rng, self.refused = True, rate, rng, 0
        handler = self.controller.handler
        original = handler.handle_DATA

        async def handle_data(server, session, envelope):
            if self.flaky and self.rng.random() < self.rate:
                self.refused += 1
                return "451 4.3.0 Temporary failure, try again"
            return await original(server, session, envelope)
        handler.handle_DATA = handle_data


def send_one(port, n):
    """One message; returns (message id, True when the DATA reply was 250)."""
    mid = f"<crash-{n}-{random.getrandbits(32):08x}@origin.example>"
    data = (f"From: a@origin.example\r\nTo: x@hikyaku.example\r\nSubject: crash {n}\r\n"
            f"Message-ID: {mid}\r\n\r\nbody {n}\r\n.\r\n")
    try:
        c = SmtpClient(port)
        c.sock.settimeout(15)
        c.command("EHLO load.example")
        if not c.command("MAIL FROM:<author@implicit.dest.example>").startswith("250"):
            return mid, False
        for r in RCPTS:
            if not c.command(f"RCPT TO:<{r}>").startswith("250"):
                return mid, False
        if not c.command("DATA").startswith("354"):
            return mid, False
        c.send(data)
        ok = c.reply().startswith("250")
        try:
            c.command("QUIT")
        except Exception:
            pass
        c.close()
        return mid, ok
    except Exception:
        return mid, False


def message_ids(sink):
    ids = []
    for m in sink.messages:
        for line in m["data"].decode(errors="replace").split("\r\n"):
            if line.lower().startswith("message-id:"):
                ids.append(line.split(":", 1)[1].strip())
                break
    return ids


def run(kills, seed, verbose=True):
    rng = random.Random(seed)
    say = print if verbose else (lambda *a, **k: None)
    workdir = tempfile.mkdtemp(prefix="hikyaku-crash-")
    nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
    port = free_port()
    v6 = AcceptingSink("::1", port).start()
    temp = FlakySink("127.0.0.9", port, 0.5, rng).start()
    origin = AcceptingSink("127.0.0.7", port).start()  # DSNs would land here (none expected)
    relay = Hikyaku(workdir, dns=nsd.address, relay_port=port, domains_extra=RULES,
                    retry_interval="1s", queue_extra='max_retry_interval = "2s"')
    sent, acked = [], []
    stop = threading.Event()
    lock = threading.Lock()

    def load():
        n = 0
        while not stop.is_set():
            n += 1
            mid, ok = send_one(relay.port, n)
            with lock:
                sent.append(mid)
                if ok:
                    acked.append(mid)
            if not ok:
                time.sleep(0.05)  # the server is down: do not spin

    try:
        relay.start()
        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        for k in range(kills):
            time.sleep(rng.uniform(0.3, 1.5))
            relay.proc.kill()  # SIGKILL, by the PID of the process we started
            relay.proc.wait()
            relay.log.close()
            say(f"kill {k + 1}/{kills}: {len(acked)} acked so far, "
                f"{len(spool_entries(relay.spool))} spool entries")
            time.sleep(rng.uniform(0.0, 0.3))
            relay.start()
        time.sleep(1.0)
        stop.set()
        loader.join(30)
        temp.flaky = False
        deadline = time.time() + 60
        while spool_entries(relay.spool) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        leftover = spool_entries(relay.spool)
        code = relay.stop()
    finally:
        stop.set()
        if relay.proc and relay.proc.poll() is None:
            relay.stop()
        v6.stop()
        temp.stop()
        origin.stop()
        nsd.stop()

    got_v6, got_temp = message_ids(v6), message_ids(temp)
    lost = [m for m in acked if m not in got_v6 or m not in got_temp]
    dup_v6 = sum(1 for m in set(got_v6) if got_v6.count(m) > 1)
    dup_temp = sum(1 for m in set(got_temp) if got_temp.count(m) > 1)
    result = {"kills": kills, "sent": len(sent), "acked_250": len(acked),
              "temp_refusals": temp.refused, "delivered_v6": len(set(got_v6)),
              "delivered_temp": len(set(got_temp)), "lost": len(lost),
              "duplicates_v6": dup_v6, "duplicates_temp": dup_temp,
              "dsns": len(origin.messages), "spool_left": len(leftover), "exit": code}
    say(" ".join(f"{k}={v}" for k, v in result.items()))
    if lost:
        say("lost:", lost[:20])
    return result, workdir


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    print(f"seed {args.seed}")
    result, _ = run(args.kills, args.seed)
    ok = result["lost"] == 0 and result["spool_left"] == 0 and result["acked_250"] > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
