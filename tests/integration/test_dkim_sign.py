"""Independent check of Hikyaku's DKIM signatures (RFC 6376, RFC 8463 Ed25519, RFC 8301 RSA):
unit_dkim writes messages signed by dkim::Signer plus the public key records, and python3-dkim
(dkimpy) verifies every signature; a changed body must fail."""
import os
import subprocess
import tempfile
import unittest

import dkim

UNIT_DKIM = os.environ.get("UNIT_DKIM_BIN", "")


class DkimSignedByHikyaku(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not UNIT_DKIM or not os.access(UNIT_DKIM, os.X_OK):
            raise unittest.SkipTest("UNIT_DKIM_BIN not set")
        cls.tmp = tempfile.TemporaryDirectory(prefix="hikyaku-dkim-")
        env = dict(os.environ, HIKYAKU_DKIM_OUT=cls.tmp.name)
        run = subprocess.run([UNIT_DKIM, "--gtest_filter=DkimExport.*"], env=env,
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise AssertionError("unit_dkim export failed:\n" + run.stdout + run.stderr)
        cls.records = {}
        with open(os.path.join(cls.tmp.name, "records.txt"), encoding="ascii") as f:
            for line in f:
                name, value = line.rstrip("\n").split("\t", 1)
                cls.records[name.lower()] = value.encode("ascii")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def dnsfunc(self, name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        return self.records.get(name.rstrip(".").lower())

    def message(self, name):
        with open(os.path.join(self.tmp.name, name), "rb") as f:
            return f.read()

    def verify_all(self, msg, count):
        results = []
        for i in range(count):
            try:
                results.append(dkim.DKIM(msg).verify(idx=i, dnsfunc=self.dnsfunc))
            except dkim.ValidationError:  # dkimpy raises for some failures (body hash)
                results.append(False)
        return results

    def test_rsa_signature_verifies(self):
        self.assertEqual(self.verify_all(self.message("rsa.eml"), 1), [True])

    def test_ed25519_signature_verifies(self):
        self.assertEqual(self.verify_all(self.message("ed25519.eml"), 1), [True])

    def test_dual_signatures_both_verify(self):
        msg = self.message("dual.eml")
        self.assertEqual(msg.count(b"DKIM-Signature:"), 2)
        self.assertEqual(self.verify_all(msg, 2), [True, True])

    def test_body_change_fails_both(self):
        msg = self.message("dual.eml").replace(b"noon", b"one!")
        self.assertEqual(self.verify_all(msg, 2), [False, False])

    def test_added_from_fails_both(self):  # From is over-signed (RFC 6376 section 8.15)
        msg = self.message("dual.eml")
        cut = msg.index(b"From:")
        msg = msg[:cut] + b"From: mallory@evil.example\r\n" + msg[cut:]
        self.assertEqual(self.verify_all(msg, 2), [False, False])


if __name__ == "__main__":
    unittest.main()
