"""The relay as a service: [log] format = "json" read back line by line."""
import json
import signal
import time

from harness import Hikyaku, RelayTestCase, SmtpClient, free_port
from nsd_harness import NsdServer
from sinks import AcceptingSink


ZONE = """$ORIGIN dest.example.
$TTL 60
@        IN SOA ns.dest.example. hostmaster.dest.example. 1 3600 600 86400 60
@        IN NS  ns.dest.example.
ns       IN A   127.0.0.1
json     IN MX  10 mx.json
mx.json  IN A   127.0.0.1
"""
ORIGIN_ZONE = """$ORIGIN origin.example.
$TTL 60
@        IN SOA ns.origin.example. hostmaster.origin.example. 1 3600 600 86400 60
@        IN NS  ns.origin.example.
ns       IN A   127.0.0.1
"""
RULES = """
[[domain]]
name = "hikyaku.example"
[[domain.rule]]
address = "logs"
forward = ["user@json.dest.example"]
"""
MESSAGE = ("From: Sender <sender@origin.example>\r\nTo: logs@hikyaku.example\r\n"
           "Subject: json logs\r\nMessage-ID: <json-1@origin.example>\r\n\r\nHello.\r\n")


def with_log_keys(config_text, keys):
    marker = '[log]\nlevel = "debug"\n'
    assert marker in config_text
    return config_text.replace(marker, marker + keys)


class JsonLogs(RelayTestCase):
    def setUp(self):
        super().setUp()
        self.nsd = NsdServer({"dest.example": ZONE, "origin.example": ORIGIN_ZONE}).start()
        self.port = free_port()
        self.sink = AcceptingSink("127.0.0.1", self.port).start()

    def tearDown(self):
        self.sink.stop()
        self.nsd.stop()
        super().tearDown()

    def test_every_line_is_a_json_object_with_the_event_fields(self):
        relay = Hikyaku(self.workdir, dns=self.nsd.address, relay_port=self.port, domains_extra=RULES)
        relay.write_config(with_log_keys(relay.config_text(), 'format = "json"\n'))
        self.relays.append(relay)
        relay.start()
        c = SmtpClient(relay.port)
        c.command("EHLO client.example.org")
        self.assertTrue(c.command("MAIL FROM:<sender@origin.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<logs@hikyaku.example>").startswith("250"))
        self.assertTrue(c.command("RCPT TO:<nobody@hikyaku.example>").startswith("550"))
        self.assertTrue(c.command("DATA").startswith("354"))
        c.send(MESSAGE + ".\r\n")
        self.assertTrue(c.reply().startswith("250"))
        c.command("QUIT")
        c.close()
        self.assertTrue(self.sink.wait_for(1))
        self.assertEqual(relay.stop(), 0)

        lines = [line for line in relay.read_log().splitlines() if line]
        events = []
        for line in lines:
            obj = json.loads(line)  # every line, start-up and shutdown included
            for key in ("time", "level", "pid", "event", "message"):
                self.assertIn(key, obj, line)
            self.assertRegex(obj["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(obj["pid"], relay.proc.pid, line)
            events.append(obj)

        def one(event, **match):
            found = [e for e in events if e["event"] == event and all(e.get(k) == v for k, v in match.items())]
            self.assertTrue(found, f"no {event} event with {match} in:\n" + "\n".join(lines))
            return found[0]

        rcpt = one("rcpt", rcpt="logs@hikyaku.example")
        self.assertEqual(rcpt["action"], "forward")
        self.assertEqual(rcpt["to"], ["user@json.dest.example"])
        self.assertRegex(rcpt["id"], r"^[0-9A-F]{12}\.1$")
        session = rcpt["id"].split(".")[0]
        one("connect", id=session, client="127.0.0.1")
        reject = one("reject", to=["nobody@hikyaku.example"])
        self.assertEqual(reject["client"], "127.0.0.1")
        self.assertEqual(reject["reply_code"], 550)
        self.assertEqual(reject["reply_enhanced"], "5.1.1")
        self.assertEqual(reject["helo"], "client.example.org")
        self.assertEqual(reject["from"], "sender@origin.example")
        outcome = one("outcome", status="sent")
        self.assertEqual(outcome["id"], rcpt["id"])
        self.assertEqual(outcome["client"], "127.0.0.1")
        self.assertEqual(outcome["from"], "sender@origin.example")
        self.assertEqual(outcome["to"], ["logs@hikyaku.example"])
        self.assertEqual(outcome["message_id"], "json-1@origin.example")
        self.assertIsInstance(outcome["size"], int)
        self.assertEqual(outcome["size"], len(MESSAGE))  # the bytes received
        self.assertIsInstance(outcome["delay"], float)
        self.assertEqual(outcome["reply_code"], 250)
        self.assertEqual(outcome["reply_enhanced"], "2.0.0")
        delivery = one("delivery", domain="json.dest.example")
        self.assertEqual(delivery["id"], rcpt["id"])
        self.assertEqual(delivery["to"], ["user@json.dest.example"])
        self.assertIn("[127.0.0.1]:%d" % self.port, delivery["relay"])
        self.assertEqual(delivery["reply_code"], 250)
        one("disconnect", id=session, client="127.0.0.1")
        self.assertTrue(any(e["level"] == "info" and "started" in e["message"] for e in events))


    def test_format_and_target_wait_for_a_restart(self):
        relay = Hikyaku(self.workdir)
        relay.write_config(with_log_keys(relay.config_text(), 'format = "json"\n'))
        self.relays.append(relay)
        relay.start()
        relay.write_config(with_log_keys(relay.config_text(), 'format = "text"\ntarget = "journald"\n'))
        relay.signal(signal.SIGHUP)
        self.assertTrue(relay.wait_for_log("reloaded", timeout=60), relay.read_log())
        self.assertEqual(relay.stop(), 0)
        lines = relay.read_log().splitlines()
        objects = [json.loads(line) for line in lines if line]  # still JSON on stderr after the reload
        warnings = [o["message"] for o in objects if o["level"] == "warning"]
        for key in ("log.format", "log.target"):
            self.assertIn(f"reload: {key} differs from the running value; it takes effect at the next restart",
                          warnings)


if __name__ == "__main__":
    import unittest
    unittest.main()
