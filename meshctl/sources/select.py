"""The one place every `pc` command gets its Source from (file, admin URL or pod).

Extension points: the "sandbox" work adds the `admin` branch (an AdminSource over HTTP), the
"kube-client" work adds the `pod` branch (port-forward or exec into the pod). Both return a
Source whose `fetch(admin_path)` answers bytes, so nothing downstream changes.
"""

from __future__ import annotations

import os

from meshctl.errors import UsageError
from meshctl.sources.base import Source


def open_source(*, file: str | None = None, admin: str | None = None, pod: str | None = None, timeout: float | None = None, stdin=None, **kube_opts) -> Source:
    """Build the Source the user asked for; exactly one of `file`, `admin`, `pod`."""
    chosen = [name for name, value in (("--file", file), ("--admin", admin), ("POD", pod)) if value]
    if len(chosen) > 1:
        raise UsageError(f"give only one of {', '.join(chosen)}")
    if kube_opts.get("snapshot") and (file or admin or not pod):
        raise UsageError("--snapshot reads the pods it recorded: give a POD[.NAMESPACE], not -f/--admin")
    if file:
        from meshctl.sources.file import FileSource

        return FileSource(file, stdin=stdin)
    if admin:
        from meshctl.sources.admin import AdminSource

        if timeout is None and kube_opts.get("request_timeout") not in (None, "", "0"):
            from meshctl.sources.kube import parse_timeout

            timeout = parse_timeout(kube_opts["request_timeout"])  # --timeout / --request-timeout
        return AdminSource(admin, timeout=timeout)
    if pod:
        from meshctl.sources.pod import pod_source

        return pod_source(pod, timeout=timeout, **kube_opts)
    raise UsageError("no input: give -f FILE (or -f - for standard input)")


def spec_kind(spec: str) -> str:
    """What a positional A/SRC/DST names: "admin" (an http(s) URL), "file" (an existing path or '-'), else "pod"."""
    if spec.startswith(("http://", "https://")):
        return "admin"
    if spec == "-" or os.path.exists(spec):
        return "file"
    return "pod"


def source_for_spec(spec: str, **kube_opts) -> Source:
    """The Source for one positional spec (`pc diff A B`, `explain mtls SRC DST`), by spec_kind."""
    kind = spec_kind(spec)
    if kind == "pod":
        return open_source(pod=spec, **kube_opts)
    return open_source(**{kind: spec})
