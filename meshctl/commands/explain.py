"""`meshctl explain`: answers with the evidence behind them. `explain mtls SRC DST[:PORT]`.

Exit status: 0 when a verdict was printed, 79 when the verdict is "will fail" (or, with
--require-mtls, anything but mTLS), so CI jobs can gate on it.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from meshctl.commands.options import QueryOption, open_source, output_option, source_for_spec, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import ExitStatus, SourceError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None)


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
requirement, secrets, SAN and root checks.

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
    from meshctl.analyze.mtls import parse_destination

    if _is_workload_spec(spec):
        return spec, port
    head, _, tail = spec.rpartition(":")
    if head and tail.isascii() and tail.isdigit() and _is_workload_spec(head):
        return head, port or int(tail)
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


@app.command("mtls", help=MTLS_HELP)
def mtls(
    ctx: typer.Context,
    targets: Annotated[list[str], typer.Argument(metavar="[SRC] DST[:PORT]", help="Source workload and destination.", show_default=False)],
    src_file: Annotated[Optional[str], typer.Option("--src-file", "-f", "--file", metavar="PATH", show_default=False, help="SRC's config dump file ('-' for stdin).")] = None,
    src_admin: Annotated[Optional[str], typer.Option("--src-admin", "--admin", metavar="URL", show_default=False, help="SRC's Envoy admin API, e.g. http://127.0.0.1:15000.")] = None,
    dst_file: Annotated[Optional[str], typer.Option("--dst-file", metavar="PATH", show_default=False, help="DST's config dump file (the server side).")] = None,
    dst_admin: Annotated[Optional[str], typer.Option("--dst-admin", metavar="URL", show_default=False, help="DST's Envoy admin API (the server side).")] = None,
    dst_pod: Annotated[Optional[str], typer.Option("--dst-pod", metavar="POD[.NS]", help="DST's pod (the server side) when DST names a service.", show_default=False)] = None,
    port: Annotated[Optional[int], typer.Option("-p", "--port", min=1, max=65535, help="DST's port (instead of DST:PORT).", show_default=False)] = None,
    require_mtls: Annotated[bool, typer.Option("--require-mtls", help="Exit 79 unless the verdict is mTLS.")] = False,
    output: output_option("short", ("short", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """`meshctl explain mtls` (its --help text is MTLS_HELP)."""
    from meshctl.analyze.mtls import VERDICT_FAIL, VERDICT_MTLS, Destination, explain_mtls, is_ip, workload_ips, workload_name

    env = Env.of(ctx)
    src_given = [value for value in (src_file, src_admin) if value]
    if len(targets) not in (1, 2) or (len(targets) == 2) == bool(src_given):
        raise UsageError("give SRC and DST, or --src-file/--src-admin and DST")
    if len([value for value in (dst_file, dst_admin, dst_pod) if value]) > 1:
        raise UsageError("give only one of --dst-file, --dst-admin, --dst-pod")
    if targets.count("-") + (src_file == "-") + (dst_file == "-") > 1:
        raise UsageError("only one input can be standard input")
    src_source = open_source(env, file=src_file, admin=src_admin) if src_given else source_for_spec(env, targets[0])
    src = _load(env, src_source)
    dst_spec, dst_port = _split_port(targets[-1], port)
    dst_dump, host = _server_dump(env, dst_spec, dst_file, dst_admin, dst_pod)
    source_name = workload_name(src) or src_source.describe()
    now = env.now()

    def explain_for(host: str, dst_dump):
        ips = workload_ips(dst_dump) if dst_dump is not None else ()
        return explain_mtls(src, Destination(targets[-1], host, dst_port, ips), dst_dump, source=source_name, now=now)

    explanation = explain_for(host, dst_dump)
    if not explanation.paths and host and dst_dump is None and not is_ip(host):
        # Not a service SRC knows: DST may be a pod (its IP then finds SRC's endpoints).
        try:
            dst_dump = _load(env, source_for_spec(env, dst_spec))
        except (SourceError, UsageError) as exc:
            env.warn(f"{dst_spec} is neither a service SRC routes to nor a reachable pod ({exc})")
        else:
            explanation = explain_for("", dst_dump)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, explanation.to_dict(), fmt, query)
    else:
        from meshctl.render.mtls import explanation_text

        emit(env, explanation_text(explanation))
    if explanation.verdict == VERDICT_FAIL or (require_mtls and explanation.verdict != VERDICT_MTLS):
        raise typer.Exit(ExitStatus.CHECK_FAILED)


command = with_kube_options(typer.main.get_command(app))
