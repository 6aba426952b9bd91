#!/usr/bin/python3
"""The measuring parts of bench/run-bench.sh, one subcommand each:
  sample OUT.json PID...        CPU (utime+stime, reaped children included) of each PID's process
                                tree between start and SIGTERM, and the peaks of the trees' summed
                                RSS and PSS, polled every 0.2 s; touches OUT.json.ready once started
  waitsink FILE N TIMEOUT       waits until smtp-sink -c's counter in FILE reaches N; prints the time
  sinkcount FILE                prints smtp-sink -c's message counter
  loglat LOG OFFSET             percentiles of hikyaku's log from byte OFFSET on: delay= (end of
                                DATA to reply) and delays=a/.. (a: checks, upstream time excluded)
  message OUT SIZE KEY          a DKIM-signed (d=origin.example, s=s1) message of about SIZE bytes
  dkimtxt PEM                   the DKIM TXT record value of a private key
  validate FILE RECORDS.json    what a dumped message carries (SRS, signatures that verify, ARC)
  idle PORT COUNT SOURCES PID   COUNT idle sessions (greeting and EHLO, then silence) from the
                                127.0.0.x SOURCES, and the relay's RSS before and with them
  hwm PID                       VmHWM and VmRSS of one process, in KiB
  stagemeans BEFORE AFTER       mean ms of each delivery stage and of end of DATA -> reply between
                                two /metrics scrapes
Loopback only."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def proc_table():
    """pid -> (ppid, cpu ticks incl. reaped children, rss KiB)"""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            with open(f"/proc/{d}/statm") as f:
                rss_pages = int(f.read().split()[1])
        except OSError:
            continue
        fields = s[s.rfind(")") + 2:].split()
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        out[int(d)] = (int(fields[1]), ticks, rss_pages * os.sysconf("SC_PAGE_SIZE") // 1024)
    return out


def tree(roots, table):
    kids = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    seen, todo = set(), [r for r in roots if r in table]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(kids.get(p, []))
    return seen


def pss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def cmd_sample(out, *pids):
    roots = [int(p) for p in pids]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t = proc_table()
    members = tree(roots, t)
    cpu0 = sum(t[p][1] for p in members)
    t0 = time.time()
    peak_rss, peak_procs = sum(t[p][2] for p in members), len(members)
    peak_pss = pss_kib(members)
    open(out + ".ready", "w").close()
    while not stop:
        time.sleep(0.2)
        t = proc_table()
        members = tree(roots, t)
        peak_rss = max(peak_rss, sum(t[p][2] for p in members))
        peak_pss = max(peak_pss, pss_kib(members))
        peak_procs = max(peak_procs, len(members))
    t = proc_table()
    members = tree(roots, t)
    cpu1 = sum(t[p][1] for p in members)
    with open(out, "w") as f:
        json.dump({"cpu_s": (cpu1 - cpu0) / HZ, "seconds": time.time() - t0,
                   "peak_rss_kib": peak_rss, "peak_pss_kib": peak_pss,
                   "peak_procs": peak_procs}, f)


def sink_count(path):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 300))
            m = re.findall(rb"mesg=(\d+)", f.read())
            return int(m[-1]) if m else 0
    except OSError:
        return 0


def cmd_sinkcount(path):
    print(sink_count(path))


def cmd_waitsink(path, n, timeout):
    n, deadline = int(n), time.time() + float(timeout)
    last, changed = -1, time.time()
    while time.time() < deadline:
        c = sink_count(path)
        if c >= n:
            print("%.6f" % time.time())
            return 0
        if c != last:
            last, changed = c, time.time()
        elif time.time() - changed > 30:
            break  # nothing arrived for 30 s: the rest is lost or queued for later
        time.sleep(0.01)
    print("%.6f" % time.time())
    print(f"waitsink: {last} of {n} at the sink", file=sys.stderr)
    return 1


def percentiles(values):
    v = sorted(values)
    if not v:
        return None
    return {q: v[min(len(v) - 1, int(len(v) * p))] * 1000 for q, p in (("p50", .5), ("p90", .9), ("p99", .99))}


def cmd_loglat(log, offset):
    with open(log, "rb") as f:
        f.seek(int(offset))
        text = f.read().decode(errors="replace")
    delay = [float(x) for x in re.findall(r" status=sent .*? delay=([0-9.]+)s", text)]
    checks = [float(x) for x in re.findall(r" delays=([0-9.]+)/", text)]
    statuses = re.findall(r" status=(\w+)", text)
    print(json.dumps({"delay": percentiles(delay), "checks": percentiles(checks),
                      "sent": statuses.count("sent"), "other": len(statuses) - statuses.count("sent")}))


def histogram_sums(path):
    """(sum, count) of hikyaku's delivery-stage and data-reply histograms in a /metrics scrape."""
    out = {}
    for line in open(path):
        m = re.match(r'hikyaku_(delivery_stage_seconds|data_reply_seconds)_(sum|count)(?:\{stage="(\w+)"\})? (\S+)', line)
        if m:
            key = m.group(3) or "data_reply"
            out.setdefault(key, [0.0, 0.0])[0 if m.group(2) == "sum" else 1] = float(m.group(4))
    return out


def cmd_stagemeans(before, after):
    """Mean milliseconds per observation between two scrapes: exact, where the log has 10 ms steps."""
    b, a = histogram_sums(before), histogram_sums(after)
    res = {}
    for key in a:
        s0, c0 = b.get(key, [0.0, 0.0])
        n = a[key][1] - c0
        if n > 0:
            res[key] = (a[key][0] - s0) * 1000 / n
    print(json.dumps(res))


def cmd_message(out, size, key, to="user@hikyaku.bench"):
    import dkim
    import email.utils
    size = int(size)
    head = ("From: Sender <sender@origin.example>\r\nTo: <%s>\r\nSubject: benchmark message\r\n"
            "Date: %s\r\nMessage-ID: <bench.%d@origin.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n" % (to, email.utils.formatdate(), time.time_ns()))
    line = b"The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    msg = head.encode() + b"\r\n" + body
    sig = dkim.sign(msg, b"s1", b"origin.example", open(key, "rb").read(),
                    canonicalize=(b"relaxed", b"simple"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    with open(out, "wb") as f:
        f.write((sig + msg).replace(b"\r\n", b"\n"))


def cmd_dkimtxt(pem):
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    kind = "ed25519" if len(der) == 44 else "rsa"
    import base64
    if kind == "ed25519":
        key = base64.b64encode(der[-32:]).decode()  # RFC 8463: the bare 32-byte public key
    else:
        key = base64.b64encode(der).decode()
    print(f"v=DKIM1; k={kind}; p={key}")


def cmd_validate(path, records):
    import dkim
    txt = json.load(open(records))

    def dnsfunc(name, timeout=5):
        return txt.get(name.decode().rstrip(".").lower(), "").encode()

    raw = open(path, "rb").read()
    lines = raw.split(b"\n")
    envelope = []
    while lines and lines[0].startswith(b"X-"):  # smtp-sink's own X-Client-Addr, X-Mail-Args, ...
        envelope.append(lines.pop(0).decode(errors="replace"))
    msg = b"\r\n".join(l.rstrip(b"\r") for l in lines).rstrip(b"\r\n") + b"\r\n"
    text = msg.decode(errors="replace")
    found = []
    mail_from = next((e for e in envelope if e.startswith("X-Mail-Args")), "")
    found.append("srs=" + ("yes" if "SRS0=" in mail_from else "no"))
    ar = " ".join(m.group(0) for m in re.finditer(r"^Authentication-Results:.*(\r?\n[ \t].*)*", text, re.M))
    for method in ("spf", "dkim", "dmarc"):
        m = re.search(method + r"=(\w+)", ar)
        found.append(f"{method}={m.group(1) if m else '-'}")
    nsig = len(re.findall(r"^DKIM-Signature:", text, re.M))
    verified = []
    for i in range(nsig):
        d = dkim.DKIM(msg)
        try:
            if d.verify(idx=i, dnsfunc=dnsfunc):
                verified.append(f"{d.domain.decode()}/{d.signature_fields.get(b'a', b'?').decode()}")
            else:
                verified.append(f"FAIL#{i}")
        except Exception as e:
            verified.append(f"ERROR#{i}:{e}")
    found.append("signatures=" + (",".join(verified) or "none"))
    if re.search(r"^ARC-Seal:", text, re.M):
        cv, _, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        found.append("arc=" + cv.decode() + ("" if cv == b"pass" else f"({reason})"))
    else:
        found.append("arc=none")
    print(" ".join(found))


def status_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def cmd_hwm(pid):
    print(json.dumps(status_kib(int(pid))))


def tree_rss(pid):
    t = proc_table()
    return sum(t[p][2] for p in tree([int(pid)], t))


def cmd_idle(port, count, sources, pid):
    import resource
    port, count, pid = int(port), int(count), int(pid)
    sources = sources.split(",")
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 1000, count + 1000))
    before_main, before_tree = status_kib(pid)["VmRSS"], tree_rss(pid)
    socks, failed = [], 0
    t0 = time.time()
    for i in range(count):
        s = socket.socket()
        try:
            s.bind((sources[i % len(sources)], 0))
            s.settimeout(30)
            s.connect(("127.0.0.1", port))
            f = s.makefile("rb")
            if not f.readline().startswith(b"220"):
                raise RuntimeError("no greeting")
            s.sendall(b"EHLO idle.bench.test\r\n")
            while True:
                line = f.readline()
                if not line or line[3:4] != b"-":
                    break
            if not line.startswith(b"250"):
                raise RuntimeError(line)
            socks.append((s, f))
        except Exception as e:
            failed += 1
            if failed <= 3:
                print(f"idle session {i}: {e!r}", file=sys.stderr)
            s.close()
    opened = time.time() - t0
    time.sleep(1)
    with_main, with_tree = status_kib(pid)["VmRSS"], tree_rss(pid)
    for s, f in socks:
        f.close()
        s.close()
    print(json.dumps({"sessions": len(socks), "failed": failed, "open_s": round(opened, 1),
                      "rss_before_kib": before_main, "rss_with_kib": with_main,
                      "tree_rss_before_kib": before_tree, "tree_rss_with_kib": with_tree}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    rc = globals()["cmd_" + cmd](*sys.argv[2:])
    sys.exit(rc or 0)
