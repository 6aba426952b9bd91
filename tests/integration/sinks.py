"""Destination MXes for integration tests, on loopback addresses the test picks.

`AcceptingSink`, `TempFailSink` and `PermFailSink` are python3-aiosmtpd servers (a real SMTP
implementation); `StallingSink` and `DroppingSink` are small asyncio servers that misbehave
on purpose (accept then never answer DATA's end, or close the connection in the middle of DATA).
`BlackholeListener` fills a listen queue so further connects to it hang (a stalled address).
`BrokenTlsSink` offers STARTTLS and then breaks the handshake, accepting mail in the clear;
`SelfNamedSink` greets with a name the test chooses (the relay's own, for loop tests).
"""
import asyncio
import itertools
import socket
import threading
import time

from aiosmtpd.controller import Controller

_ids = itertools.count(1)


class _RecordingHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt_reply(address)
        if reply is None:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        return reply

    async def handle_DATA(self, server, session, envelope):
        queue_id = f"Q{next(_ids):06d}"
        self.sink.messages.append({
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": envelope.original_content,
            "peer": session.peer[0],
            "queue_id": queue_id,
            "tls": session.ssl is not None,
            "mail_options": list(envelope.mail_options),
            "smtp_utf8": getattr(envelope, "smtp_utf8", False),
        })
        return f"250 2.0.0 Ok: queued as {queue_id}"


class AcceptingSink:
    """An aiosmtpd MX on host:port that records every message it accepts."""

    def __init__(self, host, port, tls_context=None):
        self.host, self.port = host, port
        self.messages = []
        self.controller = Controller(_RecordingHandler(self), hostname=host, port=port,
                                     ready_timeout=10, decode_data=False,
                                     enable_SMTPUTF8=True, tls_context=tls_context,
                                     require_starttls=False, server_hostname=f"sink-{host}")

    def rcpt_reply(self, address):
        return None

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.02)
        return len(self.messages) >= count


class TempFailSink(AcceptingSink):
    def rcpt_reply(self, address):
        return "450 4.2.1 Mailbox busy, try later"


class RcptDeferSink(AcceptingSink):
    """Greylists: answers 450 to the first `times` RCPTs (every one when times is None), then
    accepts."""

    def __init__(self, host, port, times=1):
        super().__init__(host, port)
        self.times, self.deferred = times, 0

    def rcpt_reply(self, address):
        if self.times is None or self.deferred < self.times:
            self.deferred += 1
            return "450 4.2.0 <%s>: Recipient address rejected: Greylisted, try again later" % address
        return None


class PermFailSink(AcceptingSink):
    def rcpt_reply(self, address):
        return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address


class DotFailSink(AcceptingSink):
    """Accepts every RCPT, then answers the final dot with `reply` for the first `times`
    messages (forever when times is None) and accepts the ones after."""

    def __init__(self, host, port, reply="451 4.3.0 Temporary failure, try again", times=1):
        super().__init__(host, port)
        self.reply, self.times, self.refused = reply, times, 0
        handler = self.controller.handler
        original = handler.handle_DATA

        async def handle_data(server, session, envelope):
            if self.times is None or self.refused < self.times:
                self.refused += 1
                return self.reply
            return await original(server, session, envelope)
        handler.handle_DATA = handle_data


class _AsyncioSink:
    """A raw asyncio server on its own thread and loop; subclasses serve each connection in
    `_serve(reader, writer)`."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None
        self.connections = 0

    def start(self):
        self.thread.start()
        fut = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, self.host, self.port), self.loop)
        self.server = fut.result(10)
        return self

    def stop(self):
        async def close():
            self.server.close()
            # End the connections still being served (a stalled one sleeps for an hour).
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class _ScriptedSink(_AsyncioSink):
    """A raw asyncio SMTP server that behaves until DATA, then misbehaves."""

    def __init__(self, host, port):
        super().__init__(host, port)
        self.bytes_after_data = 0

    async def _serve(self, reader, writer):
        self.connections += 1
        writer.write(b"220 scripted ESMTP\r\n")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-scripted\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    await self.before_data()
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    await self.misbehave(reader, writer)
                    return
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    return
                else:
                    writer.write(b"250 ok\r\n")
                await writer.drain()
        finally:
            writer.close()

    async def before_data(self):
        pass

    async def misbehave(self, reader, writer):
        raise NotImplementedError


class StallingSink(_ScriptedSink):
    """Reads the whole message, then never answers the final dot."""

    async def misbehave(self, reader, writer):
        while True:
            line = await reader.readline()
            if not line:
                return
            self.bytes_after_data += len(line)
            if line == b".\r\n":
                await asyncio.sleep(3600)


class SlowDataSink(_ScriptedSink):
    """Answers DATA only after `delay` seconds, then takes the message: a transaction that has
    not reached its final dot when the relay's session budget passes. Counts the dots received
    and the transactions closed without one."""

    def __init__(self, host, port, delay=4.0):
        super().__init__(host, port)
        self.delay = delay
        self.dots = 0
        self.closed_without_dot = 0

    async def before_data(self):
        await asyncio.sleep(self.delay)

    async def misbehave(self, reader, writer):
        while True:
            line = await reader.readline()
            if not line:
                self.closed_without_dot += 1
                return
            self.bytes_after_data += len(line)
            if line == b".\r\n":
                self.dots += 1
                writer.write(b"250 ok: queued\r\n")
                await writer.drain()
                return


class DroppingSink(_ScriptedSink):
    """Closes the connection after the first 100 bytes of message data."""

    async def misbehave(self, reader, writer):
        data = await reader.read(100)
        self.bytes_after_data += len(data)
        writer.transport.abort()


class BlackholeListener:
    """A listener on host:port whose accept queue is full, so connects to it hang (SYNs are
    dropped), like an address whose packets vanish. Close it to release the sockets."""

    def __init__(self, host, port):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(0)
        self.fillers = []
        for _ in range(4):  # backlog 0 still admits one or two; fill it past doubt
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((host, port))
            except BlockingIOError:
                pass
            self.fillers.append(s)
        time.sleep(0.2)

    def close(self):
        for s in self.fillers:
            s.close()
        self.listener.close()


class _PlainSmtpSink(_AsyncioSink):
    """A small asyncio SMTP server that takes mail in the clear and records it. Subclasses
    change the greeting, the EHLO keywords or what STARTTLS does."""

    greeting_name = b"plain.sink"
    keywords = [b"8BITMIME"]

    def __init__(self, host, port):
        super().__init__(host, port)
        self.commands = []
        self.messages = []

    async def starttls(self, writer):
        writer.write(b"454 4.7.0 TLS not available\r\n")
        return True

    async def _serve(self, reader, writer):
        self.connections += 1
        writer.write(b"220 " + self.greeting_name + b" ESMTP\r\n")
        mail_from, rcpts = None, []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                self.commands.append(line.rstrip(b"\r\n").decode(errors="replace"))
                verb = line[:4].upper()
                if verb == b"EHLO":
                    lines = [self.greeting_name] + self.keywords
                    writer.write(b"".join(b"250" + (b" " if i + 1 == len(lines) else b"-") + l + b"\r\n"
                                          for i, l in enumerate(lines)))
                elif verb == b"STAR":
                    if not await self.starttls(writer):
                        return
                elif verb == b"MAIL":
                    mail_from, rcpts = line[10:].strip(), []
                    writer.write(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    rcpts.append(line[8:].strip())
                    writer.write(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    data = b""
                    while True:
                        chunk = await reader.readline()
                        if not chunk or chunk == b".\r\n":
                            break
                        data += chunk
                    self.messages.append({"mail_from": mail_from, "rcpt_tos": rcpts, "data": data})
                    writer.write(b"250 2.0.0 Ok: queued as P%d\r\n" % len(self.messages))
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    return
                else:
                    writer.write(b"250 2.0.0 ok\r\n")
                await writer.drain()
        finally:
            writer.close()

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.05)
        return len(self.messages) >= count


class BrokenTlsSink(_PlainSmtpSink):
    """Offers STARTTLS, answers it with 220, then sends bytes that are no TLS record and
    closes: the client's handshake fails. Mail sent in the clear is accepted."""

    greeting_name = b"tlsfail.sink"
    keywords = [b"STARTTLS", b"8BITMIME"]

    def __init__(self, host, port):
        super().__init__(host, port)
        self.handshakes_broken = 0

    async def starttls(self, writer):
        writer.write(b"220 2.0.0 Ready to start TLS\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"this is not a TLS record\r\n")
        await writer.drain()
        self.handshakes_broken += 1
        return False


class SelfNamedSink(_PlainSmtpSink):
    """Greets with `name` (the relay's own host name in loop tests)."""

    def __init__(self, host, port, name):
        super().__init__(host, port)
        self.greeting_name = name.encode()
