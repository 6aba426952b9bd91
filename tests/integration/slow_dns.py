"""A UDP DNS forwarder on loopback that delays the answers for some names: every query for
one name is answered DELAY seconds after the first query for that name arrived
(retransmissions included), all others at once. For tests that slow DNS stalls nobody else."""
import socket
import threading
import time


def _qname(packet):
    """The question name of a DNS query, lowercased ('' when malformed)."""
    labels, i = [], 12
    while i < len(packet):
        n = packet[i]
        if n == 0:
            return ".".join(labels).lower()
        labels.append(packet[i + 1:i + 1 + n].decode(errors="replace"))
        i += 1 + n
    return ""


class UdpDnsForwarder:
    """A UDP DNS forwarder on loopback to a server on `upstream_port`, one thread per query.
    Subclasses decide in `_answer(packet, client)`; `_forward` asks upstream, `_send` replies."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.sock.close()
        self.thread.join(5)

    def _serve(self):
        while self.running:
            try:
                packet, client = self.sock.recvfrom(4096)
            except OSError:
                return
            threading.Thread(target=self._answer, args=(packet, client), daemon=True).start()

    def _forward(self, packet):
        """The upstream's answer, or None when it gave none."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(5)
            up.sendto(packet, self.upstream)
            try:
                return up.recv(65535)
            except OSError:
                return None

    def _send(self, data, client):
        try:
            self.sock.sendto(data, client)
        except OSError:
            pass


class SlowDns(UdpDnsForwarder):
    def __init__(self, upstream_port, marker, delay):
        super().__init__(upstream_port)
        self.marker, self.delay = marker, delay
        self.first_seen = {}
        self.delayed = 0

    def _answer(self, packet, client):
        name = _qname(packet)
        wait = 0.0
        if name == self.marker:
            first = self.first_seen.setdefault(name, time.time())
            wait = max(0.0, first + self.delay - time.time())
            self.delayed += 1
        answer = self._forward(packet)
        if answer is None:
            return
        time.sleep(wait)
        self._send(answer, client)
