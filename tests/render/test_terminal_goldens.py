"""Every table view on a real pseudo-terminal of 80 and 200 columns, against committed goldens.

Each view runs as a user runs it: a fresh process whose stdin, stdout and stderr are a pty of the
given size (helpers.terminal), TERM=xterm-256color and `--color never`, so that the goldens hold
the terminal's layout without escapes. The screen is compared with
``goldens/terminal/<view>.<width>.txt`` (``MESHCTL_UPDATE_GOLDEN=1`` rewrites them), and checked
for the layout rule of issue 15: no word or identifier of the piped (istioctl) output is ever
broken across two lines of the screen. Inputs are files of fixed content, named relative to the
repository (the goldens hold no machine's paths) and without clock-dependent cells.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from helpers import ISTIO_TESTDATA, ROOT, call_meshctl, require_shared
from helpers.terminal import run_in_pty

GOLDENS = Path(__file__).resolve().parent / "goldens" / "terminal"
WIDTHS = (80, 200)
MESH = "tests/pc/data/mesh_small.json"
DATA = "tests/render/data"
WRITER = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata"
SECRETS = WRITER / "secret/istio/config_dump.json"
ECDS = WRITER / "ecds/configdump.json"
AUTHZ = ISTIO_TESTDATA / "istioctl/pkg/authz/testdata/configdump.yaml"
PROXYCONFIG = ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json"
ZTUNNEL = ISTIO_TESTDATA / "istioctl/pkg/writer/ztunnel/configdump/testdata/dump.json"


def shared(path: Path) -> str:
    """`path` under ../shared, relative to the repository (skip when the shared data is absent)."""
    return os.path.relpath(require_shared(path), ROOT)


# view -> the arguments (callables for inputs that may be absent). Every command that prints a table.
VIEWS = {
    "pc-cluster": lambda: ("pc", "cluster", "-f", MESH),
    "pc-cluster-wide": lambda: ("pc", "cluster", "-f", MESH, "-o", "wide"),
    "pc-cluster-istio": lambda: ("pc", "cluster", "-f", shared(PROXYCONFIG)),
    "pc-listener": lambda: ("pc", "listener", "-f", MESH),
    "pc-listener-istio": lambda: ("pc", "listener", "-f", shared(PROXYCONFIG)),
    "pc-route": lambda: ("pc", "route", "-f", MESH),
    "pc-endpoint": lambda: ("pc", "endpoint", "-f", shared(PROXYCONFIG)),
    "pc-ecds": lambda: ("pc", "ecds", "-f", shared(ECDS)),
    "pc-all": lambda: ("pc", "all", "-f", MESH),
    "pc-secret": lambda: ("pc", "secret", "-f", shared(SECRETS)),
    "pc-tls": lambda: ("pc", "tls", "-f", MESH),
    "pc-bootstrap": lambda: ("pc", "bootstrap", "-f", MESH, "-o", "short"),
    "pc-diff": lambda: ("pc", "diff", MESH, f"{DATA}/mesh_small_no_listeners.json"),
    "authz-check": lambda: ("authz", "check", "-f", shared(AUTHZ)),
    "authz-check-wide": lambda: ("authz", "check", "-f", shared(AUTHZ), "-o", "wide"),
    "webhooks": lambda: ("webhooks", "-f", f"{DATA}/webhooks.yaml"),
    "webhooks-labels": lambda: ("webhooks", "-f", f"{DATA}/webhooks.yaml", "--labels", "app=reviews", "--namespace-labels", "istio-injection=enabled"),
    "proxy-status": lambda: ("proxy-status", "--syncz-file", f"{DATA}/istiod-7d9c8b6f5-abcde.json"),
    "proxy-status-wide": lambda: ("proxy-status", "--syncz-file", f"{DATA}/istiod-7d9c8b6f5-abcde.json", "-o", "wide"),
    "rootca-compare": lambda: ("rootca-compare", "-f", shared(SECRETS), "-f", shared(SECRETS)),
    # ztunnel-config: the certificate table is fixed until its leaf's stated expiry (2033); -o wide
    # has EXPIRES IN (the clock) and waypoint needs a cluster (tests/ambient).
    "zc-workload": lambda: ("zc", "workload", "-f", shared(ZTUNNEL)),
    "zc-service": lambda: ("zc", "service", "-f", shared(ZTUNNEL)),
    "zc-policy": lambda: ("zc", "policy", "-f", shared(ZTUNNEL)),
    "zc-certificate": lambda: ("zc", "certificate", "-f", shared(ZTUNNEL)),
    "zc-connections": lambda: ("zc", "connections", "-f", shared(ZTUNNEL)),
    "zc-all": lambda: ("zc", "all", "--with-headers", "-f", shared(ZTUNNEL)),
}


def screen_text(screen: str) -> str:
    """The terminal's output as text: CR LF line ends as LF."""
    return screen.replace("\r\n", "\n")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", VIEWS)
def test_view_on_a_terminal(view, width):
    args = VIEWS[view]()
    code, screen = run_in_pty("--color", "never", *args, width=width)
    text = screen_text(screen)
    assert "\x1b[" not in text and "Traceback" not in text
    piped = call_meshctl(*args, environ={})
    assert code == piped.exit_code
    # The layout rule: every word and identifier of the piped output is whole on some line of the screen.
    lines = text.splitlines()
    for token in sorted(set(piped.stdout.split()), key=len, reverse=True):
        assert any(token in line for line in lines), f"{token!r} is broken across lines at {width} columns"
    golden = GOLDENS / f"{view}.{width}.txt"
    if os.environ.get("MESHCTL_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden.name} differs (MESHCTL_UPDATE_GOLDEN=1 rewrites it; review the diff)"


def test_wide_terminals_get_the_rich_layout_and_narrow_ones_istioctls():
    # At 200 columns the cluster table fits: Rich's layout (a rule under the header). At 80 it
    # cannot without breaking a name: istioctl's layout, rows running long, as kubectl's do.
    wide = (GOLDENS / "pc-cluster.200.txt").read_text()
    narrow = (GOLDENS / "pc-cluster.80.txt").read_text()
    assert re.search(r"^─{20,}$", wide, re.M)
    assert "─" not in narrow and call_meshctl(*VIEWS["pc-cluster"](), environ={}).stdout in narrow
