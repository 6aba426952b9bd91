"""A real authoritative DNS server (NSD) on loopback for tests: RFC 1035 zone files in, answers out.

`NsdServer` writes the zone files and an nsd.conf into a temporary directory, starts
`/usr/sbin/nsd -c nsd.conf` on a free port on 127.0.0.1 and ::1, waits until `dig` gets an
answer, and stops it by the PID in its pidfile (see research/deps.md §9 for the config).

Beside the zones given it serves an empty zone `_dmarc.<tld>` for each top-level domain they
use (unless that TLD or name is served already): DMARC's DNS Tree Walk (RFC 9989 §4.10) ends by
asking `_dmarc.<tld>` TXT, which the real DNS answers (NXDOMAIN for most TLDs); NSD refuses
names outside its zones, which the relay's resolver would report as SERVFAIL, a temporary
failure.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

NSD = "/usr/sbin/nsd"
DIG = "/usr/bin/dig"

CONF_TEMPLATE = """server:
  ip-address: 127.0.0.1@{port}
{ipv6_line}  port: {port}
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{dir}"
  pidfile: "{dir}/nsd.pid"
  logfile: "{dir}/nsd.log"
  zonelistfile: "{dir}/zone.list"
  xfrdfile: "{dir}/xfrd.state"
  xfrdir: "{dir}"
  server-count: 1
  rrl-ratelimit: 0
  receive-buffer-size: 4194304
  verbosity: 1
remote-control:
  control-enable: no
"""

ZONE_TEMPLATE = """zone:
  name: "{name}"
  zonefile: "{file}"
"""


def _port_free(port, ipv6):
    """True when `port` can be bound for UDP and TCP on 127.0.0.1 (and ::1 when ipv6)."""
    families = [(socket.AF_INET, "127.0.0.1")] + ([(socket.AF_INET6, "::1")] if ipv6 else [])
    socks = []
    try:
        for family, host in families:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(family, kind)
                socks.append(s)
                s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_dns_port(ipv6=True):
    """A port free for UDP and TCP on 127.0.0.1 (and ::1): DNS servers listen on both."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if _port_free(port, ipv6):
            return port
    raise RuntimeError("no port free for UDP and TCP on loopback")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def _port_clash(text):
    """True when NSD failed because its port was taken (worth another port)."""
    return "already in use" in text or "can't bind" in text or "cannot bind" in text


class NsdError(RuntimeError):
    pass


class NsdServer:
    """NSD serving `zones` ({"example.test": "<zone file text>", ...}) on loopback.

    Use as a context manager, or call start() and stop(). `address` is "127.0.0.1:PORT" (the
    form `dns.servers` and HIKYAKU_TEST_DNS take); `address6` is "[::1]:PORT".
    """

    def __init__(self, zones, ipv6=True, start_timeout=15.0):
        if not zones:
            raise ValueError("NSD needs at least one zone")
        self.zones = self._with_tld_dmarc_zones(dict(zones))
        self.ipv6 = ipv6
        self.start_timeout = start_timeout
        self.port = None
        self.dir = None
        self.pid = None

    @staticmethod
    def _with_tld_dmarc_zones(zones):
        names = {n.strip(".").lower() for n in zones}
        for name in sorted(names):
            tld = name.rsplit(".", 1)[-1]
            apex = f"_dmarc.{tld}"
            if not tld or tld in names or apex in names or apex in zones:
                continue
            zones[apex] = (f"$ORIGIN {apex}.\n$TTL 60\n"
                           f"@ IN SOA ns.{apex}. hostmaster.{apex}. 1 3600 600 86400 60\n"
                           f"@ IN NS ns.{apex}.\nns IN A 127.0.0.1\n")
        return zones

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    @property
    def address6(self):
        return f"[::1]:{self.port}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def log(self):
        try:
            with open(os.path.join(self.dir, "nsd.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def _write_files(self):
        zone_parts = []
        for name, text in self.zones.items():
            file_name = name.strip(".") + ".zone"
            with open(os.path.join(self.dir, file_name), "w", encoding="utf-8") as f:
                f.write(text)
            zone_parts.append(ZONE_TEMPLATE.format(name=name.strip("."), file=file_name))
        ipv6_line = f"  ip-address: ::1@{self.port}\n" if self.ipv6 else ""
        conf = CONF_TEMPLATE.format(port=self.port, dir=self.dir, ipv6_line=ipv6_line)
        conf_path = os.path.join(self.dir, "nsd.conf")
        with open(conf_path, "w", encoding="utf-8") as f:
            f.write(conf + "".join(zone_parts))
        return conf_path

    def start(self):
        """Starts NSD and returns once it answers an SOA query for the first zone over UDP."""
        last_error = None
        for _ in range(3):  # the port can be taken between the check and NSD's bind
            self.dir = tempfile.mkdtemp(prefix="hikyaku-nsd-")
            self.port = free_dns_port(self.ipv6)
            conf = self._write_files()
            run = subprocess.run([NSD, "-c", conf], capture_output=True, text=True, timeout=30)
            if run.returncode != 0:
                last_error = f"nsd exited {run.returncode}: {run.stderr.strip()} {self.log()}"
                self._cleanup_dir()
                if not _port_clash(last_error):
                    break
                continue
            try:
                self._wait_ready()
                return self
            except NsdError as e:
                last_error = str(e)
                self.stop()
                if not _port_clash(last_error):
                    break
        raise NsdError(f"NSD did not start: {last_error}")

    def _read_pid(self):
        try:
            with open(os.path.join(self.dir, "nsd.pid"), encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _wait_ready(self):
        first_zone = next(iter(self.zones)).strip(".")
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.pid is None:
                self.pid = self._read_pid()
            if self.pid is not None and not _pid_alive(self.pid):
                raise NsdError(f"nsd (pid {self.pid}) died: {self.log()}")
            if self.pid is not None and self.query(first_zone, "SOA", timeout=1).strip():
                return
            time.sleep(0.1)
        raise NsdError(f"no answer from nsd on port {self.port} after {self.start_timeout}s: "
                       f"{self.log()}")

    def query(self, name, rrtype="A", server="127.0.0.1", timeout=2):
        """`dig +short` against this server; "" when there is no answer."""
        run = subprocess.run([DIG, f"@{server}", "-p", str(self.port), "+short", "+norecurse",
                              f"+time={timeout}", "+tries=1", name, rrtype],
                             capture_output=True, text=True, timeout=timeout + 5)
        return run.stdout if run.returncode == 0 else ""

    def stop(self):
        """Stops NSD by the PID in its pidfile and removes the directory. Safe to call twice."""
        pid = self.pid if self.pid is not None else (self._read_pid() if self.dir else None)
        if pid is not None and _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.pid = None
        self._cleanup_dir()

    def _cleanup_dir(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
