"""The container image (deploy/Dockerfile), run by `make image-test` through
deploy/image/test.sh: the relay in the image (podman, the host's network) forwards a message on
loopback to a sink, with NSD for DNS; it runs as uid 10025, writes JSON log lines, answers
/readyz, and a SIGTERM ends it with status 0. Skipped unless IMAGE names a built image."""
import json
import os
import shutil
import subprocess
import time
import unittest
import urllib.request

from harness import Hikyaku, RelayTestCase, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink
from test_forwarding import ORIGIN_ZONE, RULES, ZONE, send

IMAGE = os.environ.get("IMAGE")


@unittest.skipUnless(IMAGE and shutil.which("podman"), "IMAGE is not set or podman is missing")
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
        # Not root inside the container.
        names = subprocess.run(["podman", "ps", "--filter", "label=hikyaku-image-test=1",
                                "--format", "{{.Names}}"], capture_output=True, text=True,
                               check=True).stdout.split()
        self.assertEqual(len(names), 1, names)
        uid = subprocess.run(["podman", "exec", names[0], "/usr/bin/id", "-u"], capture_output=True,
                             text=True, check=True).stdout.strip()
        self.assertEqual(uid, "10025")
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
