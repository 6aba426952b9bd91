#!/usr/bin/python3
"""SMTP load generator: COUNT messages of SIZE bytes over CONCURRENCY connections at once,
one message per connection (as MTAs send), and reports messages/second and latency
percentiles (connect to DATA reply). Loopback targets only; the loop is bounded by COUNT.
With --proxy-from IP each connection opens with a PROXY v1 header claiming that client address
(for a proxy_listen listener that trusts 127.0.0.1), so the relay authenticates a real,
non-local client."""
import argparse
import asyncio
import statistics
import time


async def one_message(host, port, rcpt, body, results, failures, proxy_from=None):
    start = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        if proxy_from:
            family = "TCP6" if ":" in proxy_from else "TCP4"
            local = "::1" if family == "TCP6" else "127.0.0.1"
            writer.write(f"PROXY {family} {proxy_from} {local} 40000 25\r\n".encode())

        async def reply():
            while True:
                line = await reader.readline()
                if not line:
                    raise ConnectionError("closed")
                if line[3:4] != b"-":
                    return line

        await reply()
        writer.write(b"EHLO load.example\r\n")
        await reply()
        # RFC 2920: MAIL, RCPT and DATA in one group.
        writer.write(b"MAIL FROM:<load@origin.example>\r\nRCPT TO:<" + rcpt.encode() + b">\r\nDATA\r\n")
        codes = [await reply(), await reply(), await reply()]
        if not codes[2].startswith(b"354"):
            raise RuntimeError(b" / ".join(c.strip() for c in codes).decode())
        writer.write(body + b".\r\n")
        final = await reply()
        elapsed = time.perf_counter() - start
        writer.write(b"QUIT\r\n")
        await writer.drain()
        writer.close()
        if final.startswith(b"250"):
            results.append(elapsed)
        else:
            failures.append(final.decode(errors="replace").strip())
    except Exception as e:  # counted, not fatal: the report says how many failed
        failures.append(repr(e))


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rcpt", required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--proxy-from", help="client address claimed in a PROXY v1 header")
    a = p.parse_args()
    assert a.host.startswith("127.") or a.host == "::1", "loopback only"
    header = (f"From: load@origin.example\r\nTo: {a.rcpt}\r\nSubject: load\r\n"
              "Message-ID: <load@origin.example>\r\n\r\n").encode()
    line = b"x" * 76 + b"\r\n"
    body = header + line * max(1, (a.size - len(header)) // len(line))
    results, failures = [], []
    sem = asyncio.Semaphore(a.concurrency)

    async def bounded():
        async with sem:
            await one_message(a.host, a.port, a.rcpt, body, results, failures, a.proxy_from)

    start = time.perf_counter()
    await asyncio.gather(*(bounded() for _ in range(a.count)))
    wall = time.perf_counter() - start
    lat = sorted(results)

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    print(f"messages={a.count} ok={len(results)} failed={len(failures)} size={len(body)}B "
          f"concurrency={a.concurrency}")
    print(f"wall={wall:.2f}s throughput={len(results) / wall:.0f} msg/s")
    print(f"latency_ms p50={pct(0.50):.1f} p90={pct(0.90):.1f} p99={pct(0.99):.1f} "
          f"max={(lat[-1] * 1000 if lat else float('nan')):.1f} "
          f"mean={(statistics.mean(lat) * 1000 if lat else float('nan')):.1f}")
    for f in failures[:5]:
        print("failure:", f)


asyncio.run(main())
