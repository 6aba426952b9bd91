"""Reload and stop under load (the operators' promise): while clients keep sending, the relay is
reloaded 20 times (SIGHUP) and then stopped (SIGTERM). Every message that got a 250 arrives at
its destination exactly once or is still in the spool; no session that was greeted ends other
than by its own QUIT or by the documented 421 of the drain."""
import signal
import socket
import threading
import time
import unittest

from harness import RelayTestCase, free_port, spool_entries
from nsd_harness import NsdServer
from sinks import AcceptingSink
from test_forwarding import ORIGIN_ZONE, RULES, ZONE

CLIENTS = 8
RELOADS = 20


class Sender(threading.Thread):
    """Sends messages with unique ids on fresh connections until told to stop or refused."""

    def __init__(self, port, name):
        super().__init__(daemon=True)
        self.port, self.name = port, name
        self.acked = []          # ids that got 250 to DATA
        self.cut = []            # greeted sessions that ended without QUIT or a 421
        self.drained = 0         # 421 replies (the documented drain)
        self.refused = 0         # connections refused once the listener closed
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            msg_id = f"{self.name}-{n}"
            outcome = self.one(msg_id)
            if outcome == "refused":
                self.refused += 1
                return
            if outcome == "421":
                self.drained += 1
                return

    def one(self, msg_id):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        except OSError:
            return "refused"
        f = s.makefile("rb")

        def reply():
            while True:
                line = f.readline()
                if not line:
                    raise ConnectionError("closed")
                if line[3:4] != b"-":
                    return line.decode(errors="replace")

        greeted = False
        try:
            r = reply()
            if r.startswith("421"):
                return "421"
            greeted = True
            for command in ("EHLO load.example", "MAIL FROM:<load@origin.example>", "RCPT TO:<v6@hikyaku.example>",
                            "DATA"):
                s.sendall(command.encode() + b"\r\n")
                r = reply()
                if r.startswith("421"):
                    return "421"
            body = (f"From: load@origin.example\r\nTo: v6@hikyaku.example\r\nSubject: drain\r\n"
                    f"Message-ID: <{msg_id}@origin.example>\r\n\r\nbody\r\n.\r\n")
            s.sendall(body.encode())
            r = reply()
            if r.startswith("250"):
                self.acked.append(msg_id)
            elif r.startswith("421"):
                return "421"
            s.sendall(b"QUIT\r\n")
            r = reply()
            return "421" if r.startswith("421") else "ok"
        except (ConnectionError, OSError) as e:
            if greeted:
                self.cut.append(f"{msg_id}: {e!r}")
            return "refused" if not greeted else "cut"
        finally:
            s.close()


class DrainUnderLoad(RelayTestCase):
    def test_twenty_reloads_and_a_stop_lose_nothing(self):
        port = free_port()
        nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
        self.addCleanup(nsd.stop)
        sink = AcceptingSink("::1", port).start()
        self.addCleanup(sink.stop)
        r = self.relay(dns=nsd.address, relay_port=port, domains_extra=RULES,
                       server_extra='shutdown_grace = "20s"\nmax_connections_per_ip = 100\n')
        senders = [Sender(r.port, f"c{i}") for i in range(CLIENTS)]
        for s in senders:
            s.start()
        # Wait for traffic, then reload 20 times while it flows, then stop.
        deadline = time.time() + 60
        while sum(len(s.acked) for s in senders) < 20 and time.time() < deadline:
            time.sleep(0.05)
        for i in range(RELOADS):
            r.signal(signal.SIGHUP)
            self.assertTrue(r.wait_for_log_count("reloaded", i + 1, timeout=60), r.read_log()[-3000:])
            time.sleep(0.2)  # traffic between reloads, sessions spanning them
        acked_before_stop = sum(len(s.acked) for s in senders)
        r.signal(signal.SIGTERM)
        self.assertEqual(r.proc.wait(timeout=120), 0, r.read_log()[-3000:])
        for s in senders:
            s.stop.set()
            s.join(timeout=60)
        acked = [m for s in senders for m in s.acked]
        cut = [c for s in senders for c in s.cut]
        self.assertEqual(cut, [], "sessions cut without 421")
        self.assertGreater(acked_before_stop, 20)
        # Every 250 arrived exactly once, or is still in the spool for the next start.
        sink.wait_for(len(acked) - len(spool_entries(r.spool)), timeout=60)
        arrived = {}
        for m in sink.messages:
            for line in m["data"].decode(errors="replace").split("\r\n"):
                if line.startswith("Message-ID: <"):
                    key = line[len("Message-ID: <"):].split("@")[0]
                    arrived[key] = arrived.get(key, 0) + 1
        queued = len(spool_entries(r.spool))
        duplicates = {k: v for k, v in arrived.items() if v > 1}
        missing = [m for m in acked if m not in arrived]
        self.assertEqual(duplicates, {})
        self.assertLessEqual(len(missing), queued, f"lost: {missing[:10]}; {queued} in the spool")
        self.assertEqual(r.read_log().count("reloaded"), RELOADS)
        print(f"\n{len(acked)} acked ({acked_before_stop} before SIGTERM), {len(arrived)} arrived, "
              f"{queued} queued, {sum(s.drained for s in senders)} sessions got the drain's 421, "
              f"{sum(s.refused for s in senders)} connections refused after the listeners closed")


if __name__ == "__main__":
    unittest.main()
