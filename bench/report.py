#!/usr/bin/python3
"""The table and the ratios of a `make bench` run, from DIR/results.jsonl (bench/run-bench.sh),
DIR/openssl-speed.txt and DIR/validation.txt, as Markdown on stdout. usage: report.py DIR"""
import json
import os
import re
import sys

d = sys.argv[1]
rows = {}
for line in open(os.path.join(d, "results.jsonl")):
    if line.strip():
        r = json.loads(line)
        rows[r["name"]] = r
validation = {}
if os.path.exists(os.path.join(d, "validation.txt")):
    for line in open(os.path.join(d, "validation.txt")):
        name, _, what = line.partition(": ")
        validation[name] = what.strip()

LABELS = {
    "H": "harness alone (smtp-load -> smtp-sink)",
    "plain": "Hikyaku plain (SPF, DKIM verify, DMARC)",
    "full": "Hikyaku full (+ SRS, ARC seal, DKIM RSA + Ed25519)",
    "full-halfrate": "Hikyaku full at half its rate",
    "ed25519": "Hikyaku Ed25519 only (no ARC)",
    "full-1core": "Hikyaku full, relay on 1 core",
    "postfix": "Postfix plain forwarder",
    "postfix-milters": "Postfix + postsrsd + OpenDKIM + OpenDMARC",
    "postfix-rspamd": "Postfix + postsrsd + rspamd",
}


def ms3(v):
    return "/".join("%.1f" % x for x in v) if v else "-"


def logms(r, key):
    lat = (r.get("relay_log") or {}).get(key)
    return "/".join("%.0f" % lat[q] for q in ("p50", "p90", "p99")) if lat else "-"


def checks(r):
    """The checks' percentiles from the log, and the exact means of the checks and of the
    upstream part (connection setup + transmission) from /metrics."""
    means = r.get("relay_stage_mean_ms") or {}
    text = logms(r, "checks")
    if "checks" in means:
        text += "; mean %.1f (upstream %.1f)" % (means["checks"], means.get("connect", 0) + means.get("transmit", 0))
    return text


with open(os.path.join(d, "env.txt")) as f:
    print("```\n" + f.read().strip() + "\n```\n")
print("| configuration | ok/sent | msg/s | relay CPU ms/msg | relay CPU cores | peak RSS (PSS) MiB | "
      "end of DATA -> reply p50/p90/p99 ms, client | same, relay log | checks only (upstream excluded); means |")
print("|---|---|---:|---:|---:|---:|---|---|---|")
for name, label in LABELS.items():
    r = rows.get(name)
    if not r:
        continue
    print(f"| {label} | {r['ok']}/{r['count']} | {r['msg_per_s']:.0f} | "
          f"{'%.2f' % r['cpu_ms_per_msg'] if 'cpu_ms_per_msg' in r else '-'} | "
          f"{'%.2f' % r['cpu_cores_busy'] if 'cpu_cores_busy' in r else '-'} | "
          f"{'%.0f (%.0f)' % (r['peak_rss_mib'], r['peak_pss_mib']) if 'peak_rss_mib' in r else '-'} | "
          f"{ms3(r['client_eod_ms'])} | "
          f"{logms(r, 'delay')} | {checks(r)} |")
print("\nRelay CPU: utime+stime of every process of the relay (hikyaku and its SPF helpers; Postfix's "
      "master and all its children, and the milters, rspamd, postsrsd), reaped children included. "
      "Peak RSS: the largest sum of their RSS, polled every 0.2 s (shared pages count once per "
      "process; PSS shares them out). The relay log's figures have 1 ms (delay=) and 10 ms (delays=a, 0 below 5 ms) steps; the "
      "means come from hikyaku's /metrics histograms (sum / count between two scrapes), exact: the "
      "checks, and the upstream part (connection setup + transmission) the reply also waited for.\n")


def rate(name):
    return rows[name]["msg_per_s"] if name in rows else None


ratios = []
speed = os.path.join(d, "openssl-speed.txt")
ceiling = None
if os.path.exists(speed):
    text = open(speed).read()
    rsa = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([0-9.]+)\s+([0-9.]+)", text, re.M)
    ed = re.search(r"EdDSA \(Ed25519\)\s+\S+\s+\S+\s+([0-9.]+)\s+([0-9.]+)", text)
    if rsa and ed:
        rsa_sign, rsa_verify, ed_sign = float(rsa.group(1)), float(rsa.group(2)), float(ed.group(1))
        ceiling = 1 / (3 / rsa_sign + 1 / rsa_verify + 1 / ed_sign)
        ratios.append(("crypto ceiling (3 RSA-2048 signs + 1 RSA verify + 1 Ed25519 sign per message, "
                       f"openssl speed on every core: RSA sign {rsa_sign:.0f}/s, verify {rsa_verify:.0f}/s, "
                       f"Ed25519 sign {ed_sign:.0f}/s)", f"{ceiling:.0f} msg/s", ""))
if rate("full") and rate("postfix-rspamd"):
    ratios.append(("full / Postfix + rspamd, msg/s", f"{rate('full') / rate('postfix-rspamd'):.2f}x", ">= 6x"))
if rate("full") and ceiling:
    ratios.append(("full / crypto ceiling", f"{100 * rate('full') / ceiling:.0f} %", ">= 75 %"))
if "full" in rows and "cpu_ms_per_msg" in rows["full"]:
    ratios.append(("full: relay CPU per message", f"{rows['full']['cpu_ms_per_msg']:.2f} ms", "<= 1.4 ms"))
if rate("ed25519"):
    ratios.append(("Ed25519 only (no ARC): msg/s", f"{rate('ed25519'):.0f}", ">= 4000"))
if "plain" in rows and "postfix" in rows and "cpu_ms_per_msg" in rows["postfix"]:
    ratios.append(("plain relay CPU / Postfix plain CPU per message",
                   f"{rows['plain']['cpu_ms_per_msg'] / rows['postfix']['cpu_ms_per_msg']:.2f}", "<= 0.10"))
if rate("plain") and rate("H"):
    ratios.append(("plain / harness alone, msg/s", f"{rate('plain') / rate('H'):.2f}", "harness-limited"))
if "full-halfrate" in rows:
    r = rows["full-halfrate"]
    ratios.append(("full at half its rate: end of DATA -> reply p99 (client; relay's checks only)",
                   f"{r['client_eod_ms'][2]:.1f} ms; {logms(r, 'checks').split('/')[-1]} ms", "< 20 ms"))
if rate("full") and rate("full-1core"):
    ratios.append(("full on 2 cores / on 1 core (taskset), msg/s", f"{rate('full') / rate('full-1core'):.2f}", ">= 1.8"))
if "idle" in rows:
    r = rows["idle"]
    ratios.append((f"{r['sessions']} idle sessions ({r['failed']} failed to open): relay RSS "
                   f"(all its processes)", f"{r['rss_with_kib'] / 1024:.0f} MiB ({r['tree_rss_with_kib'] / 1024:.0f}); "
                   f"{(r['rss_with_kib'] - r['rss_before_kib']) / max(r['sessions'], 1):.1f} KiB per session",
                   "< 500 MiB"))
if "large" in rows:
    r = rows["large"]
    ratios.append((f"one {r['size'] / 1048576:.0f} MiB message ({'delivered' if r['ok'] else 'NOT delivered'}): "
                   "VmHWM growth / message size", f"{r['growth_per_size']:.2f}", "<= ~2"))
print("| figure | measured | target (issue 13) |\n|---|---|---|")
for what, value, target in ratios:
    print(f"| {what} | {value} | {target} |")
if validation:
    print("\nWhat one message carried at the destination (checked with python3-dkim):\n")
    for name, what in validation.items():
        print(f"- {name}: {what}")
for top in sorted(f for f in os.listdir(d) if f.startswith("perf-top-") and f.endswith(".txt")):
    cfg = top[len("perf-top-"):-len(".txt")]
    print(f"\nperf record of the {cfg} run (hikyaku's threads), top symbols:\n\n```")
    print(open(os.path.join(d, top)).read().rstrip())
    dso = os.path.join(d, f"perf-dso-{cfg}.txt")
    if os.path.exists(dso):
        print(open(dso).read().rstrip())
    print("```")
