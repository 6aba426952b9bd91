"""The container image (deploy/Dockerfile), run by `make image-test` through
deploy/image/test.sh: the relay in the image (podman run, or buildah run --isolation chroot
where podman cannot start a container; the host's network) forwards a message on loopback to a
sink, with NSD for DNS; it runs from the image's root file system as uid 10025, writes JSON log
lines, answers /readyz, and a SIGTERM ends it with status 0. Skipped unless IMAGE names a built
image."""
import json
import os
import shutil
import time
import unittest
import urllib.request

from harness import Hikyaku, RelayTestCase, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink
from test_forwarding import ORIGIN_ZONE, RULES, ZONE, send

IMAGE = os.environ.get("IMAGE")


def relay_processes(config_path):
    """The pids whose command line is `... hikyaku serve -c CONFIG_PATH`, seen from the host."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if len(argv) == 4 and argv[0].endswith(b"/hikyaku") and argv[1:] == [b"serve", b"-c", config_path.encode()]:
            out.append(int(pid))
    return out


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1]
    return None


@unittest.skipUnless(IMAGE and (shutil.which("podman") or shutil.which("buildah")),
                     "IMAGE is not set or neither podman nor buildah is there")
class Image(RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()

    def test_a_message_goes_through_the_image(self):
        port = free_port()
        sink = AcceptingSink("127.0.0.3", port).start()
        self.addCleanup(sink.stop)
        metrics_port = free_port()
        r = Hikyaku(self.workdir, dns=self.nsd.address, relay_port=port, domains_extra=RULES,
                    metrics_port=metrics_port)
        r.write_config(r.config_text().replace('[log]\nlevel = "debug"',
                                               '[log]\nlevel = "debug"\nformat = "json"'))
        r.start()
        self.relays.append(r)
        _, reply = send(r, ["prio@hikyaku.example"])
        self.assertTrue(reply.startswith("250"), reply + r.read_log()[-3000:])
        self.assertTrue(sink.wait_for(1, timeout=30))
        self.assertEqual(sink.messages[0]["rcpt_tos"], ["user@prio.dest.example"])
        self.assertIn("Message-ID: <m1@origin.example>", sink.messages[0]["data"].decode())
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/readyz", timeout=10) as resp:
            self.assertEqual(resp.status, 200)
        # One relay, running from the image's root file system (not the host's), not as root:
        # the image's user.
        pids = relay_processes(r.config_path)
        self.assertEqual(len(pids), 1, pids)
        proc_root, host_root = os.stat(f"/proc/{pids[0]}/root"), os.stat("/")
        self.assertNotEqual((proc_root.st_dev, proc_root.st_ino), (host_root.st_dev, host_root.st_ino))
        exe, in_image = os.stat(f"/proc/{pids[0]}/exe"), os.stat(f"/proc/{pids[0]}/root/usr/local/bin/hikyaku")
        self.assertEqual((exe.st_dev, exe.st_ino), (in_image.st_dev, in_image.st_ino))
        self.assertEqual(status_field(pids[0], "Uid"), "10025")
        # Every line the relay wrote is a JSON object (podman's own warnings, if any, are not);
        # the delivery is among them.
        deadline = time.time() + 10
        while '"status":"sent"' not in r.read_log().replace(" ", "") and time.time() < deadline:
            time.sleep(0.1)
        lines = [line for line in r.read_log().splitlines() if not line.startswith(("WARN[", "time="))]
        events = [json.loads(line) for line in lines if line.strip()]
        self.assertTrue(any(e.get("status") == "sent" for e in events), events[-5:])
        self.assertEqual(r.stop(), 0)


if __name__ == "__main__":
    unittest.main()
