"""`pc log`: Envoy's logging levels, read and set as `istioctl proxy-config log` does.

istioctl/pkg/proxyconfig/proxyconfig.go logCmd: POST /logging to read the levels (Envoy refuses
GET), then one POST per change (``level=L`` first, then ``logger=L``), printing
``<pod>.<namespace>:`` and Envoy's answer to the last one. Many pods with -l/-A/-n; a pod whose
change fails is reported and the others go on (istioctl's multierror), exit 69 when every pod
failed (any, with --strict).
"""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
from typing import Annotated, Optional

import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, open_source, output_option
from meshctl.commands.pc.view import Targets, one_source, selected_pods, targets
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: many pods (commands/pc/view.py), each printed as istioctl prints one
HELP = ("Retrieve the logging levels of the Envoy in a pod, and update them (istioctl proxy-config log): "
        "--level L for every logger, --level logger:L,... for some, -r to reset them to the levels the sidecar "
        "started with.")
LevelOption = Annotated[
    Optional[str],
    typer.Option("--level", metavar="[LOGGER:]LEVEL,...", show_default=False,
                 help="Comma-separated minimum per-logger level of messages to output, in the form of "
                      "[<logger>:]<level>,[<logger>:]<level>,... or <level> to change all active loggers; "
                      "loggers as `pc log POD` lists them, levels one of trace, debug, info, warning, error, "
                      "critical, off."),
]
ResetOption = Annotated[bool, typer.Option("-r", "--reset", help="Reset every logger to the level the sidecar started with "
                                                                 "(its --proxyLogLevel and --proxyComponentLogLevel).")]


def log(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    level: LevelOption = None,
    reset: ResetOption = False,
    output: output_option("short", ("short", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve the logging levels of the Envoy in a pod, and update them."""
    from meshctl.errors import UsageError

    env = Env.of(ctx)
    if reset and level:
        raise UsageError("--level cannot be combined with --reset")
    fmt = data_format(output, query)
    where = targets(ctx, pod, file, admin)
    if one_source(env, where):
        source = open_source(env, file=file, admin=admin, pod=pod)
        name, loggers = set_levels(env, source, level, reset)
        emit(env, _single(name, loggers, fmt), fmt, query)
        return
    _for_pods(env, where, level, reset, fmt, query)


def set_levels(env: Env, source, level: str | None, reset: bool) -> tuple[str, list]:
    """Read the levels, apply --level/--reset, and return (pod key or "", the levels Envoy answers)."""
    from meshctl.analyze.logging import level_requests, reset_requests
    from meshctl.decode.logging import parse_logging
    from meshctl.errors import UsageError
    from meshctl.sources.pod import PodSource

    post = getattr(source, "post", None)  # pods and admin URLs; a file can only be read
    where = source.describe()
    current = post("logging") if post else source.fetch("logging")
    loggers = parse_logging(current, f"{where} /logging")
    pod = source.pod if isinstance(source, PodSource) else None
    if reset:
        queries, origin = reset_requests(pod, _injector_values(env, source) if pod is not None else None)
        env.message(f"meshctl: note: resetting {where} to the levels in {origin}")
    elif level:
        queries = level_requests(level, [name for name, _ in loggers])
    else:
        queries = []
    if queries and post is None:
        raise UsageError(f"{where} is a file: levels can be changed on a pod or an --admin URL only")
    answer = current
    for change in queries:
        answer = post(f"logging?{change}")
    return (source.name if pod is not None else ""), parse_logging(answer, f"{where} /logging")


def _injector_values(env: Env, source) -> dict | None:
    """The injector's values for the pod's revision (istio-sidecar-injector[-REV] ConfigMap), or None."""
    import json

    from meshctl.analyze.describe import revision_of
    from meshctl.errors import SourceError

    revision = revision_of(source.pod) or "default"
    name = "istio-sidecar-injector" + ("" if revision == "default" else f"-{revision}")
    try:
        configmap = source.cluster.read("/api/v1", "configmaps", name, env.kube.istio_namespace)
        return json.loads((configmap.get("data") or {}).get("values") or "{}")
    except (SourceError, ValueError):
        return None


def _single(name: str, loggers: list, fmt: str):
    from meshctl.analyze.logging import logging_document
    from meshctl.render.logging import logging_text, pod_logging_text

    if fmt in DATA_FORMATS:
        return logging_document(loggers)
    return pod_logging_text(name, loggers) if name else logging_text(loggers)


def _for_pods(env: Env, where: Targets, level, reset, fmt, query) -> None:
    """istioctl's loop over -l pods, concurrent: each pod's answer in pod order; failures on stderr.
    Not `run_view`: istioctl prints its own ``<pod>.<namespace>:`` line, not a ``POD:`` section."""
    from meshctl.analyze.logging import logging_document
    from meshctl.errors import ExitStatus
    from meshctl.model.pods import pod_key, proxy_admin
    from meshctl.render.logging import pod_logging_text
    from meshctl.sources.fleet import OK, run_each
    from meshctl.sources.pod import PodSource

    pods = selected_pods(env, where)
    cluster = env.cluster()
    endpoint = proxy_admin(env.kube.proxy_admin_port)
    notify = env.notifier()
    def work(pod: dict):
        return set_levels(env, PodSource(cluster, pod=pod, endpoint=endpoint, notify=notify), level, reset)

    results = {r.name: r for r in run_each(pods, work, concurrency=where.concurrency, label="pc log", stream=env.stderr, progress=env.terminal.progress)}
    ordered = [results[pod_key(p)] for p in pods]
    for result in ordered:
        if result.status != OK:
            env.warn(f"error configuring log level for {result.name}: {result.error}" if level or reset
                     else f"{result.name}: {result.error}")
    good = [r for r in ordered if r.status == OK]
    if fmt in DATA_FORMATS:
        from meshctl.model.document import pods_document

        emit(env, pods_document([(r.name, logging_document(r.value[1])) for r in good], [(r.name, r.error) for r in ordered if r.status != OK]),
             fmt, query)
    else:
        emit(env, "".join(pod_logging_text(r.name, r.value[1]) for r in good))
    failed = len(ordered) - len(good)
    if failed and (where.strict or not good):
        raise typer.Exit(ExitStatus.UNAVAILABLE)
