"""`meshctl explain`: answers with the evidence behind them. `explain mtls SRC DST[:PORT]`,
`explain request SRC DST[:PORT] [-X METHOD] [--path P] [-H K=V]...`.

Exit status: 0 when a verdict was printed, 79 when the verdict is "will fail" (or, with
--require-mtls, anything but mTLS), so CI jobs can gate on it.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from meshctl.commands.options import QueryOption, complete_pods, open_source, output_option, source_for_spec, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import ExitStatus, SourceError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None)

# The inputs both sub-commands take.
TargetsArgument = Annotated[list[str], typer.Argument(metavar="[SRC] DST[:PORT]", help="Source workload and destination.", show_default=False)]
SrcFileOption = Annotated[Optional[str], typer.Option("--src-file", "-f", "--file", metavar="PATH", show_default=False, help="SRC's config dump file ('-' for stdin).")]
SrcAdminOption = Annotated[Optional[str], typer.Option("--src-admin", "--admin", metavar="URL", show_default=False, help="SRC's Envoy admin API, e.g. http://127.0.0.1:15000.")]
DstFileOption = Annotated[Optional[str], typer.Option("--dst-file", metavar="PATH", show_default=False, help="DST's config dump file (the server side).")]
DstAdminOption = Annotated[Optional[str], typer.Option("--dst-admin", metavar="URL", show_default=False, help="DST's Envoy admin API (the server side).")]
DstPodOption = Annotated[Optional[str], typer.Option("--dst-pod", metavar="POD[.NS]", autocompletion=complete_pods, help="DST's pod (the server side) when DST names a service.", show_default=False)]
PortOption = Annotated[Optional[int], typer.Option("-p", "--port", min=1, max=65535, help="DST's port (instead of DST:PORT).", show_default=False)]


@app.callback()
def explain() -> None:
    """Explain what the mesh does with a request, with the evidence from the proxies' config."""
    # A callback keeps `explain` a group while it has a single sub-command (Typer would collapse it).


MTLS_HELP = """Will SRC -> DST be mTLS, plaintext, or fail? The verdict on the first line, the evidence under it.

SRC is a POD[.NAMESPACE], a config dump file, or an admin URL (or --src-file/--src-admin; then
give only DST). DST is a service (reviews, reviews.ns, FQDN), an IP, a POD[.NAMESPACE], a dump
file or an admin URL, with an optional :PORT. From SRC: the outbound cluster for DST, the
transport socket each endpoint selects (endpoint metadata tlsMode), its TLS context and SDS
secrets. From DST's config (DST as a pod/file/URL, or --dst-file/--dst-admin/--dst-pod): the
inbound filter chain for the port (mTLS STRICT, PERMISSIVE or plaintext), client-cert
requirement, secrets, SAN and root checks. Each endpoint is judged by the pod behind it (the
cluster's pod list): Istio mTLS to a pod without a sidecar will fail. DST as an IP or a pod
without a sidecar is found through that list.

SRC a pod without a sidecar (ambient mode): the path through its node's ztunnel, the service's or
workload's waypoint and DST's ztunnel, with the SPIFFE identities and certificates on the way;
with a sidecar SRC, what DST's ztunnel does with what SRC sends when DST is a captured pod
(docs/guides/ambient.md).

Verdicts: mTLS; TLS (encrypted, server does not verify the client); plaintext; unknown (e.g. the
dump lacks endpoints and matches differ); will fail. Exit status: 0 when a verdict is printed,
79 when it is "will fail" (with --require-mtls: when it is not mTLS); 65/69 bad or unreachable
input."""


def _is_workload_spec(spec: str) -> bool:
    """A dump file or admin URL (one workload's config), not a pod or service name."""
    from meshctl.sources.select import spec_kind

    return spec_kind(spec) != "pod"


def _load(env: Env, source):
    from meshctl.decode.configdump import parse

    dump = parse(source.fetch("config_dump?include_eds"))
    env.retain(dump)
    for message in dump.warnings:
        env.warn(f"{source.describe()}: {message}")
    return dump


def _split_port(spec: str, port: int | None) -> tuple[str, int | None]:
    """DST[:PORT] -> (DST, port); a file or URL keeps its colons unless the part after the last is a port."""
    import os

    from meshctl.analyze.mtls import parse_destination

    if spec.startswith(("http://", "https://")) or spec == "-" or os.path.exists(spec):
        return spec, port
    head, _, tail = spec.rpartition(":")
    if head and tail.isascii() and tail.isdigit() and _is_workload_spec(head):
        return head, port or int(tail)
    if _is_workload_spec(spec):
        return spec, port  # a file that is not there: reading it says so
    try:
        host, parsed = parse_destination(spec)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return host, port or parsed


def _server_dump(env: Env, dst_spec: str, dst_file, dst_admin, dst_pod):
    """(DST's dump or None, the host to look up in SRC: "" when DST is a workload known by its IPs)."""
    if dst_file or dst_admin or dst_pod:
        return _load(env, open_source(env, file=dst_file, admin=dst_admin, pod=dst_pod)), dst_spec
    if _is_workload_spec(dst_spec):
        return _load(env, source_for_spec(env, dst_spec)), ""
    return None, dst_spec


def _check_inputs(targets: list[str], src_file, src_admin, dst_file, dst_admin, dst_pod) -> None:
    src_given = [value for value in (src_file, src_admin) if value]
    if len(targets) not in (1, 2) or (len(targets) == 2) == bool(src_given):
        raise UsageError("give SRC and DST, or --src-file/--src-admin and DST")
    if len([value for value in (dst_file, dst_admin, dst_pod) if value]) > 1:
        raise UsageError("give only one of --dst-file, --dst-admin, --dst-pod")
    if targets.count("-") + (src_file == "-") + (dst_file == "-") > 1:
        raise UsageError("only one input can be standard input")


def _src(env: Env, targets: list[str], src_file, src_admin):
    """(SRC's Source, its decoded dump with EDS)."""
    given = src_file or src_admin
    source = open_source(env, file=src_file, admin=src_admin) if given else source_for_spec(env, targets[0])
    return source, _load(env, source)


def _pod_index(env: Env):
    """Every pod of the cluster (or the snapshot), or PodIndex.unread with the reason."""
    from meshctl.errors import MeshctlError
    from meshctl.model.mesh import PodIndex

    try:
        return PodIndex.of(env.cluster().list("/api/v1", "pods"))
    except MeshctlError as exc:
        return PodIndex.unread(str(exc))


def _find_pod(env: Env, spec: str, pods):
    """DST's pod (a PodFact) by POD[.NAMESPACE] or TYPE/NAME[.NAMESPACE], from the list or the API."""
    from meshctl.model.mesh import pod_fact
    from meshctl.model.refs import PodRef

    kube = env.cluster()
    ref = PodRef.parse(spec, kube.namespace)
    known = pods.named(f"{ref.name}.{ref.namespace}") if ref.kind == "pod" and pods is not None and pods.known else None
    return known or pod_fact(kube.resolve_pod(ref))


def _pod_proxy(env: Env, key: str):
    from meshctl.sources.pod import proxy_source

    return proxy_source(env.cluster(), key, env.notifier())


@app.command("mtls", help=MTLS_HELP)
def mtls(
    ctx: typer.Context,
    targets: TargetsArgument,
    src_file: SrcFileOption = None,
    src_admin: SrcAdminOption = None,
    dst_file: DstFileOption = None,
    dst_admin: DstAdminOption = None,
    dst_pod: DstPodOption = None,
    port: PortOption = None,
    require_mtls: Annotated[bool, typer.Option("--require-mtls", help="Exit 79 unless the verdict is mTLS.")] = False,
    output: output_option("short", ("short", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """`meshctl explain mtls` (its --help text is MTLS_HELP)."""
    from meshctl.analyze.mtls import VERDICT_FAIL, VERDICT_MTLS, Destination, explain_mtls, is_ip, workload_ips, workload_name

    env = Env.of(ctx)
    _check_inputs(targets, src_file, src_admin, dst_file, dst_admin, dst_pod)
    dst_spec, dst_port = _split_port(targets[-1], port)
    if not (src_file or src_admin) and not _is_workload_spec(targets[0]):
        from meshctl.commands.ambient_facts import ambient_source

        src_pod = ambient_source(env, targets[0])
        if src_pod is not None:  # no sidecar: ztunnel carries SRC's traffic, if anything does
            _explain_ambient(env, src_pod, dst_spec, dst_port, require_mtls=require_mtls, output=output, query=query)
            return
    src_source, src = _src(env, targets, src_file, src_admin)
    dst_dump, host = _server_dump(env, dst_spec, dst_file, dst_admin, dst_pod)
    source_name = workload_name(src) or src_source.describe()
    now = env.now()
    # The pod list (sidecar or not, by IP) judges every endpoint, as `check` does: read it whenever
    # the cluster (or a snapshot) is in use, and when DST must be found among the pods.
    src_is_pod = not (src_file or src_admin) and not _is_workload_spec(targets[0])
    dst_is_ip = bool(host) and is_ip(host) and dst_dump is None
    pods = _pod_index(env) if (src_is_pod or dst_pod or env.kube.snapshot or dst_is_ip) else None
    target = None
    if dst_is_ip and pods is not None and pods.known:
        target = pods.at(host)
        if target is not None and target.has_sidecar:
            dst_dump = _load(env, _pod_proxy(env, target.key))

    def explain_for(host: str, dst_dump, ips=None):
        ips = workload_ips(dst_dump) if dst_dump is not None and ips is None else (ips or ())
        return explain_mtls(src, Destination(targets[-1], host, dst_port, ips), dst_dump, source=source_name, now=now, pods=pods, target=target)

    explanation = explain_for(host, dst_dump)
    if not explanation.paths and host and dst_dump is None and not is_ip(host):
        # Not a service SRC knows: DST may be a pod, with a sidecar (its dump) or without (its IPs).
        try:
            target = _find_pod(env, dst_spec, pods)
            if target.has_sidecar:
                dst_dump = _load(env, _pod_proxy(env, target.key))
        except (SourceError, UsageError) as exc:
            env.warn(f"{dst_spec} is neither a service SRC routes to nor a pod ({exc})")
        else:
            explanation = explain_for("", dst_dump, None if dst_dump is not None else target.ips)
    if not (src_file or src_admin):
        from meshctl.commands.ambient_facts import with_ambient_destinations

        explanation = with_ambient_destinations(env, explanation, now, pods)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, explanation.to_dict(), fmt, query)
    else:
        from meshctl.render.mtls import explanation_text

        emit(env, explanation_text(explanation))
    if explanation.verdict == VERDICT_FAIL or (require_mtls and explanation.verdict != VERDICT_MTLS):
        raise typer.Exit(ExitStatus.CHECK_FAILED)



REQUEST_HELP = """What happens to one HTTP request from SRC to DST, and why: the verdict on the first line
(200-bound via CLUSTER -> ENDPOINT, 403 RBAC: denied by POLICY, 404 no route, 503 no healthy
upstream, will fail: TLS ..., unknown: <what> not evaluated), the evidence from both proxies under it.

SRC is a POD[.NAMESPACE], a config dump file, or an admin URL (or --src-file/--src-admin; then
give only DST). DST is a service (httpbin, httpbin.ns, FQDN) or IP with an optional :PORT
(default 80), or a pod/dump/URL (then the request goes to its IP). SRC's side: outbound listener
and filter chain, HTTP connection manager, virtual host by Host, first matching route, HTTP
filters, action (cluster, weighted clusters, redirect, direct response), endpoints, TLS (as
explain mtls). DST's side (DST as a pod/file/URL, or --dst-file/--dst-admin/--dst-pod): inbound
filter chain, network and HTTP filters in order (RBAC DENY/ALLOW with SRC's SPIFFE identity,
CUSTOM ext_authz), inbound route and cluster. Works with --snapshot for pods.

Exit status: 0 when a verdict is printed, 79 when the request will fail (denied, no route, 5xx
from the proxies, TLS failure); 2 bad usage; 65/69 bad or unreachable input."""


@app.command("request", help=REQUEST_HELP)
def request(
    ctx: typer.Context,
    targets: TargetsArgument,
    method: Annotated[str, typer.Option("-X", "--method", metavar="METHOD", help="HTTP method.")] = "GET",
    path: Annotated[str, typer.Option("--path", metavar="PATH", help="Request path, with the query string if any.")] = "/",
    header: Annotated[Optional[list[str]], typer.Option("-H", "--header", metavar="K=V", help="Request header (repeatable); 'host=...' sets the authority.", show_default=False)] = None,
    port: PortOption = None,
    scheme: Annotated[str, typer.Option("--scheme", metavar="http|https", help="The scheme the app uses.")] = "http",
    src_file: SrcFileOption = None,
    src_admin: SrcAdminOption = None,
    dst_file: DstFileOption = None,
    dst_admin: DstAdminOption = None,
    dst_pod: DstPodOption = None,
    output: output_option("short", ("short", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """Explain one HTTP request from SRC to DST (REQUEST_HELP)."""
    from meshctl.analyze.mtls import is_ip, workload_ips, workload_name
    from meshctl.analyze.request import HttpRequest, RequestExplainer, default_port, parse_header, src_routes_host
    from meshctl.render.request import request_text

    env = Env.of(ctx)
    _check_inputs(targets, src_file, src_admin, dst_file, dst_admin, dst_pod)
    if scheme not in ("http", "https"):
        raise UsageError(f"--scheme must be http or https, not {scheme!r}")
    if not path.startswith("/"):
        raise UsageError(f"--path must start with '/', not {path!r}")
    if not method.isascii() or not method.isalpha():
        raise UsageError(f"--method {method!r} is not an HTTP method")
    try:
        headers = tuple(parse_header(text) for text in header or ())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    src_source, src = _src(env, targets, src_file, src_admin)
    dst_spec, dst_port = _split_port(targets[-1], port)
    dst_dump, host = _server_dump(env, dst_spec, dst_file, dst_admin, dst_pod)
    if host and dst_dump is None and not is_ip(host) and not src_routes_host(src, host, dst_port or default_port(scheme)):
        # Not a service SRC routes: DST may be a pod (the request then goes to its IP).
        try:
            dst_dump, host = _load(env, source_for_spec(env, dst_spec)), ""
        except (SourceError, UsageError) as exc:
            env.warn(f"{dst_spec} is not a host SRC routes, nor a reachable pod ({exc})")
    if not host:
        ips = workload_ips(dst_dump) if dst_dump is not None else ()
        if not ips:
            raise UsageError(f"{dst_spec}'s dump does not say its IP: give DST as a service name (with --dst-file/--dst-admin for its config)")
        host = ips[0]
    explainer = RequestExplainer(src, dst_dump, now=env.now(), source=workload_name(src) or src_source.describe(), destination=targets[-1])
    explanation = explainer.explain(HttpRequest(host, dst_port or default_port(scheme), method.upper(), path, headers, scheme))
    fmt = data_format(output, query)
    emit(env, explanation.to_dict() if fmt in DATA_FORMATS else request_text(explanation), fmt, query)
    if explanation.will_fail:
        raise typer.Exit(ExitStatus.CHECK_FAILED)


def _explain_ambient(env: Env, src_pod: dict, host: str, port, *, require_mtls: bool, output: str, query) -> None:
    """explain mtls for a SRC pod without a sidecar: through ztunnel(s) and waypoints (analyze/ambient_verdict.py)."""
    from meshctl.analyze.ambient_verdict import VERDICT_FAIL, VERDICT_MTLS, explain_ambient
    from meshctl.commands.ambient_facts import connection_facts
    from meshctl.model.pods import pod_key
    from meshctl.render.ambient import ambient_explanation_text

    facts = connection_facts(env, env.cluster(), src_pod, host)
    explanation = explain_ambient(facts, destination=host, host=host, port=port, now=env.now(), source_name=pod_key(src_pod))
    fmt = data_format(output, query)
    emit(env, explanation.to_dict() if fmt in DATA_FORMATS else ambient_explanation_text(explanation), fmt, query)
    if explanation.verdict == VERDICT_FAIL or (require_mtls and explanation.verdict != VERDICT_MTLS):
        raise typer.Exit(ExitStatus.CHECK_FAILED)


command = with_kube_options(typer.main.get_command(app))
