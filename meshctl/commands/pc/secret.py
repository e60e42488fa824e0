"""`pc secret`: the SDS secrets an Envoy holds (certificates, never keys), istioctl's columns."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, AllNamespacesOption, ConcurrencyOption, FileOption, PodArgument, QueryOption, RawOption, SelectorOption, StrictOption
from meshctl.commands.pc.view import TableOutput, Targets, ViewOutput, load_dump, missing_section, plain_resources, run_view
from meshctl.emit import DATA_FORMATS, data_format
from meshctl.env import Env


def secret(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: TableOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
    all_namespaces: AllNamespacesOption = False,
    selector: SelectorOption = None,
    concurrency: ConcurrencyOption = 16,
    strict: StrictOption = False,
) -> None:
    """Retrieve information about the secret configuration (SDS certificates) of an Envoy instance."""
    env = Env.of(ctx)
    fmt = data_format(output, query)
    targets = Targets(pod, file, admin, all_namespaces, selector, concurrency, strict)
    now = env.now()
    run_view(env, targets, load_dump, lambda dump: secret_view(dump, fmt, raw, now), fmt, query)


def secret_view(dump, fmt: str, raw: bool, now) -> ViewOutput:
    """istioctl's secret table (-o wide: chain, SANs, issuer, problems), or the section with keys redacted."""
    from meshctl.analyze.secrets import redact_secrets, secret_table, secret_warnings

    warnings = (*dump.warnings, *missing_section(dump, "SecretsConfigDump", "secrets"))
    section = dump.section("SecretsConfigDump")
    if fmt in DATA_FORMATS:
        return ViewOutput(plain_resources([redact_secrets(section or {})], raw)[0], warnings)
    warnings += tuple(secret_warnings(section))
    return ViewOutput(secret_table(section, now=now, wide=fmt == "wide"), warnings)
