"""Run meshctl as an attacker's input would meet it: a fresh process under a 2 GiB address-space limit.

`run_limited(*args)` runs ``python -m meshctl ARGS`` with RLIMIT_AS at 2 GiB and a wall-clock timeout, so
an attack that exhausts memory ends in the child (MemoryError, exit 1) instead of in the test runner, and
one that hangs fails the test when the timeout expires. `no_dns_env()` adds a `sitecustomize` that makes
every name lookup in the child print a marker and fail, so a test can prove that none happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADDRESS_SPACE = 2 << 30
DNS_MARKER = "HOSTILE-TEST: name lookup of "

_RESOLVER_HOOK = f'''
import ipaddress, socket, sys

def _guard(original):
    def lookup(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.split("%")[0])
        except ValueError:  # a name, not an address: this would ask a resolver
            print({DNS_MARKER!r} + name, file=sys.stderr, flush=True)
            raise socket.gaierror(socket.EAI_NONAME, "name lookups are refused in this test")
        return original(host, *args, **kwargs)
    return lookup

for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
    setattr(socket, _name, _guard(getattr(socket, _name)))
'''


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


# The child lowers its own limit, then becomes meshctl. (Not subprocess's preexec_fn: that forks the
# test runner with Python code to run in the child, and grpc, loaded by other tests, aborts such a child.)
_LIMITED_MESHCTL = (
    "import os, resource, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE})); "
    "os.execv(sys.executable, [sys.executable, '-m', 'meshctl', *sys.argv[1:]])"
)


def no_dns_env(tmp_path: Path) -> dict:
    """Environment entries that install the resolver hook in the child (see the module docstring)."""
    hook_dir = tmp_path / "no-dns"
    hook_dir.mkdir(exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(_RESOLVER_HOOK)
    return {"PYTHONPATH": os.pathsep.join([str(hook_dir), str(ROOT)])}


def run_limited(*args: str, env: dict | None = None, stdin: bytes = b"", timeout: float = 90) -> Run:
    """``python -m meshctl ARGS`` under RLIMIT_AS = 2 GiB; raises subprocess.TimeoutExpired past `timeout`."""
    proc = subprocess.run(
        [sys.executable, "-c", _LIMITED_MESHCTL, *args],
        input=stdin, capture_output=True, timeout=timeout, cwd=ROOT, env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )  # fmt: skip
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def one_error_line(run: Run) -> str:
    """The single `meshctl: error: ...` line a rejected input gives (no traceback, nothing else)."""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("meshctl: error: "), run.stderr[-2000:]
    return lines[0]
