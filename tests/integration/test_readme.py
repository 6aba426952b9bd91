"""The README as a new user reads it: every command in its shell blocks runs and exits as its
comment says, every `hikyaku VERB` it or the shipped config mentions exists, and the first
session's swaks commands get the replies written beside them (against the shipped config,
with its listeners moved to free ports, its spool to a scratch directory and DNS to a closed
port, so nothing leaves the machine)."""
import os
import re
import shlex
import subprocess
import tempfile
import unittest

from harness import HIKYAKU, free_port

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def shell_lines():
    """(command, comment) of every line of the README's ```sh blocks."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if not line.strip():
                continue
            command, _, comment = line.partition("  #")
            out.append((command.strip(), comment.strip()))
    return out


def verbs():
    help_text = subprocess.run([HIKYAKU, "--help"], capture_output=True, text=True).stdout
    section = help_text.split("Subcommands:", 1)[1]
    return set(re.findall(r"^  (\S+)", section, flags=re.M))


class Readme(unittest.TestCase):
    def test_every_line_is_one_the_test_knows(self):
        for command, _ in shell_lines():
            self.assertRegex(command, r"^(make (run|test|bench)|hikyaku |swaks )", command)

    def test_hikyaku_commands_exit_as_documented(self):
        ran = 0
        for command, comment in shell_lines():
            if not command.startswith("hikyaku "):
                continue
            expected = re.match(r"exit (\d+)", comment)
            self.assertIsNotNone(expected, f"no '# exit N' beside: {command}")
            argv = [HIKYAKU] + shlex.split(command)[1:]
            p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, int(expected.group(1)), f"{command}\n{p.stdout}\n{p.stderr}")
            for quoted in re.findall(r"`([^`]+)`", comment):
                if quoted.startswith("postconf"):
                    continue  # a comparison, not output
                self.assertIn(quoted, p.stdout + p.stderr, command)
            ran += 1
        self.assertGreaterEqual(ran, 5)

    def test_verbs_mentioned_exist(self):
        known = verbs()
        self.assertIn("serve", known)
        for name in ("README.md", os.path.join("conf", "hikyaku.toml")):
            with open(os.path.join(ROOT, name)) as f:
                text = f.read()
            # `hikyaku frobnicate` is the README's own example of an unknown verb.
            for verb in set(re.findall(r"hikyaku ([a-z][a-z-]+)", text)) - {"frobnicate"}:
                self.assertIn(verb, known, f"{name} mentions `hikyaku {verb}`")

    def test_first_session_replies(self):
        with open(os.path.join(ROOT, "conf", "hikyaku.toml")) as f:
            shipped = f.read()
        with tempfile.TemporaryDirectory() as d:
            port = free_port()
            conf = shipped.replace('listen = ["127.0.0.1:2525", "[::1]:2525"]',
                                   f'listen = ["127.0.0.1:{port}", "[::1]:{port}"]')
            conf = conf.replace("servers = []", 'servers = ["127.0.0.1:9"]', 1)
            conf = conf.replace('directory = "/tmp/hikyaku-spool"', f'directory = "{d}/spool"')
            self.assertEqual(conf.count(str(port)), 2)
            path = os.path.join(d, "hikyaku.toml")
            with open(path, "w") as f:
                f.write(conf)
            log = open(os.path.join(d, "log"), "w")
            server = subprocess.Popen([HIKYAKU, "serve", "-c", path], stdout=log, stderr=subprocess.STDOUT)
            try:
                sessions = [(c, m) for c, m in shell_lines() if c.startswith("swaks ")]
                self.assertEqual(len(sessions), 4)
                for command, comment in sessions:
                    args = shlex.split(command)[1:]
                    args[args.index("--port") + 1] = str(port)
                    host = args[args.index("--server") + 1]
                    code, out = swaks_retrying(port, host, args)
                    replies = re.findall(r"\b([245]\d\d(?: [245]\.\d+\.\d+)?)\b", comment)
                    self.assertTrue(replies, comment)
                    self.assertTrue(any(f"<** {r}" in out or f"<~  {r}" in out or f"<-  {r}" in out
                                        for r in replies), f"{command}: expected {replies}\n{out[-1500:]}")
            finally:
                server.terminate()
                server.wait(timeout=60)
                log.close()


def swaks_retrying(port, host, args):
    """swaks as written, retried while the server is still starting."""
    import time
    deadline = time.time() + 60
    while True:
        p = subprocess.run(["swaks", *args], capture_output=True, text=True, timeout=120)
        out = p.stdout + p.stderr
        if "Connection refused" not in out or time.time() > deadline:
            return p.returncode, out
        time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
