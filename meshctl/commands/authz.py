"""`meshctl authz check`: the AuthorizationPolicies a proxy enforces (istioctl `x authz check`)."""

# No `from __future__ import annotations`: Typer evaluates the annotations.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, open_source, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None)


@app.callback()
def authz() -> None:
    """Inspect Istio AuthorizationPolicies as the proxies enforce them."""
    # A callback keeps `authz` a group while it has a single sub-command (Typer would collapse it).


CHECK_HELP = """Print the AuthorizationPolicies a proxy enforces, read from the RBAC filters of its
inbound listeners: one row per policy (ACTION, AuthorizationPolicy as NAME.NAMESPACE, RULES),
exactly as istioctl x authz check prints them. CUSTOM rows are the ext_authz policies (RBAC
shadow rules); _anonymous_match_nothing_ is an RBAC filter without an enforced policy.
-o wide adds where each policy is enforced (listeners) and what its rules test (principals,
namespaces, paths, methods, ports); -o json|yaml the same as data, with the Envoy policies.

Input: POD[.NAMESPACE] (also with --snapshot), -f DUMP ('-' for stdin) or --admin URL."""


@app.command("check", help=CHECK_HELP)
def check(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: output_option("short", ("short", "wide", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """Print the AuthorizationPolicies a proxy enforces (CHECK_HELP)."""
    from meshctl.analyze.authz import authz_check, authz_document, authz_table, authz_wide_table
    from meshctl.decode.configdump import parse
    from meshctl.errors import UsageError

    env = Env.of(ctx)
    if not (pod or file or admin):
        raise UsageError("give a POD[.NAMESPACE], -f DUMP or --admin URL")
    source = open_source(env, file=file, admin=admin, pod=pod)
    dump = parse(source.fetch("config_dump"), sections=("ListenersConfigDump",))
    for message in dump.warnings:
        env.warn(f"{source.describe()}: {message}")
    result = authz_check(dump)
    for message in result.warnings:
        env.warn(message)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, authz_document(result), fmt, query)
    else:
        emit(env, authz_wide_table(result) if output == "wide" else authz_table(result))


command = with_kube_options(typer.main.get_command(app))
