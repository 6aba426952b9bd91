"""A private Postfix instance as a receiving MTA on a loopback address, for interoperability tests.

Its own config, queue and data directories in a temporary directory; smtpd on ADDRESS:PORT with
the certificate given (STARTTLS offered, smtpd_tls_security_level = may); mail for the domains
given is delivered by Postfix's virtual(8) agent into one maildir per domain, so a test reads what
arrived and the Received header Postfix wrote (which names the TLS protocol and cipher). Postfix's
master runs as root: without root the instance cannot start (`available()` says why). It is
stopped with `postfix stop` and then by its own master PID.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import time

POSTFIX = "/usr/sbin/postfix"


def available():
    """None when a private Postfix can be started here, else the reason it cannot."""
    if not os.path.exists(POSTFIX):
        return "postfix is not installed (deploy/install-deps.sh installs it)"
    if os.geteuid() != 0:
        return "Postfix's master must start as root"
    return None


class PostfixReceiver:
    def __init__(self, directory, address, port, cert, key, domains):
        self.base = os.path.join(directory, "postfix")
        self.etc = os.path.join(self.base, "etc")
        self.queue = os.path.join(self.base, "queue")
        self.data = os.path.join(self.base, "data")
        self.mail = os.path.join(self.base, "mail")
        self.maillog = os.path.join(self.base, "maillog")
        self.address, self.port, self.domains = address, port, list(domains)
        self.master_pid = None
        for d in (self.etc, self.queue, self.data, self.mail):
            os.makedirs(d, exist_ok=True)
        # The postfix and nobody users reach their parts through the test's directories.
        path = self.base
        while path not in ("/", "/tmp") and os.path.dirname(path) != path:
            os.chmod(path, os.stat(path).st_mode | 0o711)
            path = os.path.dirname(path)
        nobody = 65534
        shutil.chown(self.data, "postfix")
        shutil.chown(self.mail, nobody, nobody)
        # smtpd reads the key after dropping privileges: a copy the postfix user can read.
        self.cert = os.path.join(self.etc, "smtpd.pem")
        self.key = os.path.join(self.etc, "smtpd.key")
        shutil.copyfile(cert, self.cert)
        shutil.copyfile(key, self.key)
        os.chmod(self.key, 0o600)
        mailboxes = ", ".join(f"@{d}={d}/" for d in self.domains)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {self.data}
mail_owner = postfix
setgid_group = postdrop
maillog_file = {self.maillog}
maillog_file_prefixes = {self.base}
myhostname = receiver.postfix.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_cert_file = {self.cert}
smtpd_tls_key_file = {self.key}
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
virtual_mailbox_domains = {", ".join(self.domains)}
virtual_mailbox_base = {self.mail}
virtual_mailbox_maps = inline:{{ {mailboxes} }}
virtual_uid_maps = static:{nobody}
virtual_gid_maps = static:{nobody}
""")
        # Debian's master.cf with smtpd on ADDRESS:PORT and no chroot (none is set up here).
        with open("/etc/postfix/master.cf") as src, open(os.path.join(self.etc, "master.cf"), "w") as dst:
            for line in src:
                fields = line.split()
                if line.startswith("#") or line[:1].isspace() or len(fields) < 8:
                    dst.write(line)
                    continue
                if fields[0] == "smtp" and fields[1] == "inet":
                    fields[0] = f"{address}:{port}"
                fields[4] = "n"
                dst.write(" ".join(fields) + "\n")

    def start(self, timeout=60):
        check = subprocess.run([POSTFIX, "-c", self.etc, "check"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("postfix check: " + check.stdout + check.stderr)
        started = subprocess.run([POSTFIX, "-c", self.etc, "start"], capture_output=True, text=True,
                                 timeout=timeout)
        if started.returncode != 0:
            raise RuntimeError("postfix start: " + started.stdout + started.stderr + self.read_log())
        pid_file = os.path.join(self.queue, "pid", "master.pid")
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with open(pid_file) as f:
                    self.master_pid = int(f.read().strip())
                with socket.create_connection((self.address, self.port), timeout=2) as s:
                    if s.recv(512).startswith(b"220"):
                        return self
            except (OSError, ValueError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("postfix did not start listening:\n" + self.read_log())

    def stop(self, timeout=30):
        if self.master_pid is None:
            return
        subprocess.run([POSTFIX, "-c", self.etc, "stop"], capture_output=True, timeout=timeout)
        deadline = time.time() + timeout
        while time.time() < deadline and self._alive(self.master_pid):
            time.sleep(0.1)
        if self._alive(self.master_pid):
            os.kill(self.master_pid, signal.SIGKILL)
        self.master_pid = None

    @staticmethod
    def _alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A zombie left for init to reap has stopped too.
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    def read_log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def delivered(self, domain):
        """The messages delivered to `domain`'s maildir, as text."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.mail, domain, "new", "*"))):
            with open(path, errors="replace") as f:
                out.append(f.read())
        return out

    def wait_delivered(self, domain, count=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.delivered(domain)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        return self.delivered(domain)
