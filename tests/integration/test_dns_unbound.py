"""UnboundResolver against a real authoritative server: NSD serving the dns unit-test zones.

Starts NSD (nsd_harness.NsdServer) with tests/unit/dns/testdata/*.zone — MX with two
preferences, A, AAAA, TXT of several strings, PTR in 2.0.192.in-addr.arpa and the 2001:db8::/32
ip6.arpa zone, CNAME chains, NODATA, an empty non-terminal, NXDOMAIN — and runs the unit_dns
binary's UnboundLive* tests against it (HIKYAKU_TEST_DNS=127.0.0.1:PORT, HIKYAKU_TEST_DNS6=
[::1]:PORT). Those include a server that never answers (timeout within dns.timeout) and
concurrent queries from two threads.

UNIT_DNS_BIN names the binary (ctest sets it); run by hand with
  UNIT_DNS_BIN=build/h-dns/tests/unit_dns python3 -m unittest -v test_dns_unbound
"""
import os
import re
import subprocess
import unittest

from nsd_harness import NsdServer, _pid_alive

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "unit", "dns", "testdata")
ZONES = ["example.test", "2.0.192.in-addr.arpa", "8.b.d.0.1.0.0.2.ip6.arpa"]
UNIT_DNS = os.environ.get("UNIT_DNS_BIN", "unit_dns")

# The UnboundLive* tests unit_dns must run (and pass, not skip) with a server given.
EXPECTED_TESTS = {
    "UnboundLive.MxWithTwoPreferences",
    "UnboundLive.AddressesBothFamilies",
    "UnboundLive.TxtOfSeveralStringsIsJoined",
    "UnboundLive.PtrInDocumentationReverseZones",
    "UnboundLive.CnameChainIsReported",
    "UnboundLive.NodataAndEmptyNonTerminal",
    "UnboundLive.NxdomainWithNegativeTtl",
    "UnboundLive.SameAnswersAsTheZoneFiles",
    "UnboundLive.ConcurrentQueriesOnTwoThreads",
    "UnboundLive.CachingResolverInFront",
    "UnboundLiveIpv6.ServerGivenAsBracketedIpv6",
    "UnboundLiveNoAnswer.TimesOutWithinTheDeadline",
    "UnboundLiveNoAnswer.ConcurrentQueriesFromTwoThreadsAllTimeOut",
    "UnboundLiveNoAnswer.DestroyingWithQueriesOutstandingCompletesThem",
}


def read_zones():
    zones = {}
    for name in ZONES:
        with open(os.path.join(TESTDATA, name + ".zone"), encoding="utf-8") as f:
            zones[name] = f.read()
    return zones


class NsdHarness(unittest.TestCase):
    """The harness itself: NSD answers what the zone says, and stop() leaves nothing behind."""

    def test_serves_the_zones_and_stops_cleanly(self):
        server = NsdServer(read_zones())
        server.start()
        try:
            mx = sorted(server.query("example.test", "MX").split("\n"))
            self.assertEqual([line for line in mx if line],
                             ["10 mx1.example.test.", "20 mx2.example.test."])
            self.assertEqual(server.query("10.2.0.192.in-addr.arpa", "PTR").strip(),
                             "mx1.example.test.")
            self.assertEqual(server.query("mx1.example.test", "AAAA", server="::1").strip(),
                             "2001:db8::10")
            pid, directory = server.pid, server.dir
            self.assertTrue(_pid_alive(pid))
        finally:
            server.stop()
        self.assertFalse(_pid_alive(pid), "nsd still running after stop()")
        self.assertFalse(os.path.exists(directory), "temporary directory left behind")
        server.stop()  # a second stop is harmless

    def test_a_broken_zone_is_reported(self):
        server = NsdServer({"broken.test": "$ORIGIN broken.test.\n@ IN A not-an-address\n"},
                           start_timeout=5)
        with self.assertRaises(RuntimeError):
            server.start()
        self.assertIsNone(server.dir)


class UnboundAgainstNsd(unittest.TestCase):
    def test_unit_dns_live_tests_pass(self):
        with NsdServer(read_zones()) as server:
            env = dict(os.environ, HIKYAKU_TEST_DNS=server.address,
                       HIKYAKU_TEST_DNS6=server.address6)
            run = subprocess.run([UNIT_DNS, "--gtest_filter=UnboundLive*", "--gtest_color=no"],
                                 env=env, capture_output=True, text=True, timeout=240)
        output = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, output)
        passed = set(re.findall(r"^\[       OK \] (\S+)", run.stdout, re.MULTILINE))
        skipped = set(re.findall(r"^\[  SKIPPED \] (\S+) \(", run.stdout, re.MULTILINE))
        self.assertEqual(skipped, set(), "live tests skipped although a server was given")
        missing = EXPECTED_TESTS - passed
        self.assertEqual(missing, set(), output)


if __name__ == "__main__":
    unittest.main()
