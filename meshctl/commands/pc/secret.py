"""`pc secret`: the SDS secrets an Envoy holds (certificates, never keys), istioctl's columns."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import TableOutput, ViewOutput, load_dump, missing_section, plain_resources, run_view, targets
from meshctl.emit import DATA_FORMATS, data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def secret(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: TableOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about the secret configuration (SDS certificates) of an Envoy instance."""
    env = Env.of(ctx)
    fmt = data_format(output, query)
    where = targets(ctx, pod, file, admin)
    now = env.now()
    fetch = lambda source: load_dump(source, sections={"SecretsConfigDump"})  # noqa: E731 - of a big dump, only that section is parsed
    run_view(env, where, fetch, lambda dump: secret_view(dump, fmt, raw, now), fmt, query)


def secret_view(dump, fmt: str, raw: bool, now) -> ViewOutput:
    """istioctl's secret table (-o wide: chain, SANs, issuer, problems), or the section with keys redacted."""
    from meshctl.analyze.secrets import redact_secrets, secret_table, secret_warnings

    warnings = (*dump.warnings, *missing_section(dump, "SecretsConfigDump", "secrets"))
    section = dump.section("SecretsConfigDump")
    if fmt in DATA_FORMATS:
        return ViewOutput(plain_resources([redact_secrets(section or {})], raw)[0], warnings)
    warnings += tuple(secret_warnings(section))
    return ViewOutput(secret_table(section, now=now, wide=fmt == "wide"), warnings)
