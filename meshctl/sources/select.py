"""The one place where a run's sources are chosen: `open_cluster` (live or recorded) and `open_source`.

`open_cluster(options)` is the cluster a run talks to: the live API server
(`meshctl.sources.kube.KubeClient`) or, with ``--snapshot PATH``, the snapshot's recording
(`meshctl.sources.snapshot.SnapshotKube`). Commands reach it through `Env.cluster()`.

`open_source(...)` is the Source of one Envoy's data for `-f FILE`, `--admin URL` or a POD; its
`fetch(admin_path)` answers bytes whatever it is, so nothing downstream changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from meshctl.errors import UsageError
from meshctl.model.options import KubeOptions
from meshctl.sources.base import ClusterAccess, Notify, Source


def open_cluster(options: KubeOptions) -> ClusterAccess:
    """The cluster these options name: a snapshot's recording with --snapshot, else the live API server."""
    if options.snapshot:
        from meshctl.sources.snapshot import snapshot_client

        return snapshot_client(options)
    from meshctl.sources.kube import KubeClient

    return KubeClient(options)


def open_source(
    *,
    file: str | None = None,
    admin: str | None = None,
    pod: str | None = None,
    options: KubeOptions = KubeOptions(),
    cluster: Callable[[], ClusterAccess] | None = None,
    notify: Notify | None = None,
    stdin=None,
) -> Source:
    """The Source the user asked for; exactly one of `file`, `admin`, `pod`.

    `options` are the run's Kubernetes flags (--request-timeout also bounds an --admin fetch);
    `cluster()` gives the cluster a POD is read from (default: `open_cluster(options)`); `notify`
    hears how a pod was reached (-v); `stdin` is read for ``-f -``.
    """
    chosen = [name for name, value in (("--file", file), ("--admin", admin), ("POD", pod)) if value]
    if len(chosen) > 1:
        raise UsageError(f"give only one of {', '.join(chosen)}")
    if options.snapshot and (file or admin or not pod):
        raise UsageError("--snapshot reads the pods it recorded: give a POD[.NAMESPACE], not -f/--admin")
    if file:
        from meshctl.sources.file import FileSource

        return FileSource(file, stdin=stdin)
    if admin:
        from meshctl.sources.admin import AdminSource

        timeout = None
        if options.request_timeout not in (None, "", "0"):
            from meshctl.sources.kube import parse_timeout

            timeout = parse_timeout(options.request_timeout)  # --timeout / --request-timeout
        from meshctl.model.limits import BODY_FLAG, DEFAULT_MAX_BODY, parse_size

        return AdminSource(admin, timeout=timeout, max_body=parse_size(options.max_body_size, DEFAULT_MAX_BODY, BODY_FLAG))
    if pod:
        from meshctl.sources.pod import proxy_source

        return proxy_source(cluster() if cluster is not None else open_cluster(options), pod, notify)
    raise UsageError("no input: name a POD[.NAMESPACE], or give -f FILE or --admin URL", hint="-f - reads standard input")


# What only a path can look like: a pod is never named "/x", "./x" or "dump.json" (TYPE/NAME has no dot before the slash).
_PATH_PREFIXES = ("/", "./", "../", "~")
_FILE_SUFFIXES = (".json", ".yaml", ".yml", ".gz", ".tgz")


def spec_kind(spec: str) -> str:
    """What a positional A/SRC/DST names: "admin" (an http(s) URL), "file" (an existing path, '-', or
    what can only be a path, so that a missing file is reported as one), else "pod"."""
    if spec.startswith(("http://", "https://")):
        return "admin"
    if spec == "-" or os.path.exists(spec) or spec.startswith(_PATH_PREFIXES) or spec.endswith(_FILE_SUFFIXES):
        return "file"
    return "pod"


def source_for_spec(spec: str, **kwargs) -> Source:
    """The Source for one positional spec (`pc diff A B`, `explain mtls SRC DST`), by spec_kind.

    `kwargs` are `open_source`'s options, cluster, notify and stdin.
    """
    kind = spec_kind(spec)
    if kind == "pod":
        return open_source(pod=spec, **kwargs)
    # a file or URL spec ignores --snapshot, as it always did
    return open_source(**{kind: spec}, **{k: v for k, v in kwargs.items() if k == "stdin"})
