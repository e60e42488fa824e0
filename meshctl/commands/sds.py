"""`meshctl sds`: ask an SDS socket (pilot-agent's, or the sandbox's) for its secrets.

Shows them like `pc secret` (never the private key). With --compare-admin, says whether the
Envoy behind that admin URL holds the same certificates (exit 79 when it does not).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from meshctl.commands.options import QueryOption, output_option
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False)

SdsOutput = output_option("short", ("short", "wide", "json", "yaml"))


@app.command(
    help=(
        "Fetch secrets from an SDS server's unix socket (gRPC StreamSecrets, as Envoy does) and show them "
        "like `pc secret`. Private keys are never shown. With --compare-admin URL, compare serials and "
        "validity with the secrets the Envoy at URL holds (exit 79 if they differ)."
    )
)
def sds(
    ctx: typer.Context,
    socket: Annotated[str, typer.Option("--socket", metavar="PATH", help="The SDS unix socket, e.g. ./var/run/secrets/workload-spiffe-uds/socket.")],
    resource: Annotated[Optional[list[str]], typer.Option("--resource", metavar="NAME", help="Secret to fetch (repeatable; default: default and ROOTCA).", show_default=False)] = None,
    compare_admin: Annotated[Optional[str], typer.Option("--compare-admin", metavar="URL", help="Envoy admin URL whose secrets to compare with.", show_default=False)] = None,
    timeout: Annotated[str, typer.Option("--timeout", metavar="DURATION", help="Per request to the SDS socket and the admin API, e.g. 10s, 500ms, 1m.")] = "10s",
    output: SdsOutput = "short",
    query: QueryOption = None,
) -> None:
    """`meshctl sds` (its --help text is the decorator's)."""
    from meshctl.analyze.secrets import secret_table, secret_warnings
    from meshctl.errors import require_extra
    from meshctl.model.durations import parse_duration
    from meshctl.sources.sds import fetch_secrets

    require_extra("sandbox", "meshctl sds")
    env = Env.of(ctx)
    timeout = parse_duration(timeout, "--timeout", positive=True).total_seconds()
    # The section shape of Envoy's SecretsConfigDump, so that `pc secret`'s analysis applies as is.
    section = {"dynamic_active_secrets": fetch_secrets(socket, resource or ["default", "ROOTCA"], timeout=timeout)}
    fmt = data_format(output, query)
    if compare_admin:
        _compare(env, section, compare_admin, timeout, fmt, query)
        return
    if fmt in DATA_FORMATS:
        from meshctl.commands.pc.view import plain_resources

        emit(env, plain_resources([section], raw=False)[0], fmt, query)  # as `pc secret -o json` prints the same secrets
        return
    for message in secret_warnings(section):
        env.warn(message)
    emit(env, secret_table(section, now=env.now(), wide=fmt == "wide"))


def _compare(env: Env, agent_section: dict, admin_url: str, timeout: float, fmt: str, query: str | None) -> None:
    from meshctl.analyze.sdscompare import compare, comparison_table
    from meshctl.decode.configdump import parse
    from meshctl.errors import CheckFailed
    from meshctl.sources.admin import AdminSource

    dump = parse(AdminSource(admin_url, timeout=timeout).fetch("config_dump"))
    comparisons = compare(agent_section, dump.section("SecretsConfigDump"))
    if fmt in DATA_FORMATS:
        from meshctl.model.document import document

        emit(env, document("sds-compare", {"secrets": [_comparison_dict(c) for c in comparisons]}), fmt, query)
    else:
        emit(env, comparison_table(comparisons))
    differing = [c.name for c in comparisons if c.verdict != "same"]
    if differing:
        raise CheckFailed(f"Envoy at {admin_url} does not hold the agent's certificate for: {', '.join(differing)}")


def _comparison_dict(comparison) -> dict:
    def side(item):
        cert = item.leading_cert if item else None
        if cert is None:
            return None
        return {"serial": cert.serial, "notBefore": cert.not_before_rfc3339, "notAfter": cert.not_after_rfc3339, "status": item.status}

    return {"name": comparison.name, "match": comparison.verdict, "agent": side(comparison.agent), "envoy": side(comparison.envoy)}
