"""`pc secret`, `pc tls` and `pc bootstrap`: SDS secrets, upstream TLS and the bootstrap.

These register themselves into the `pc` group (meshctl/commands/pc.py imports this module at
its end; importing this module first works too, as pc.py is then complete when it returns).
Heavy modules are imported inside the functions.
"""

# No `from __future__ import annotations`: Typer would eval each annotation string when it builds
# a sub-command of this module (measured ~2.5 ms when the whole `pc` group was built eagerly).
from meshctl.commands._options import (
    AdminOption,
    FileOption,
    PodArgument,
    QueryOption,
    RawOption,
    data_format,
    emit_data,
    emit_table,
    emit_text,
    output_option,
    source_from,
    warn,
)
from meshctl.commands.pc import (
    DirectionOption,
    FqdnOption,
    PlainOutput,
    PortOption,
    SubsetOption,
    TableOutput,
    _command,
    _load_dump,
    _missing,
    _plain_resources,
    _text,
)


@_command("secret", "s", "secrets")
def secret(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: TableOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about the secret configuration (SDS certificates) of an Envoy instance."""
    from datetime import datetime, timezone

    from meshctl.analyze.secrets import redact_secrets, secret_summary, secret_warnings

    dump = _load_dump(file, admin, pod)
    _missing(dump, "SecretsConfigDump", "secrets")
    section = dump.section("SecretsConfigDump")
    fmt = data_format(output, query)
    if fmt in ("json", "yaml"):
        emit_data(_plain_resources([redact_secrets(section or {})], raw)[0], output=fmt, query=query)
        return
    for message in secret_warnings(section):
        warn(message)
    emit_table(secret_summary(section, now=datetime.now(timezone.utc), wide=fmt == "wide"))


@_command("tls")
def tls(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    fqdn: FqdnOption = "",
    port: PortOption = 0,
    subset: SubsetOption = "",
    direction: DirectionOption = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Show the upstream TLS of each cluster: one row per transport socket match, with SDS secrets and their source."""
    from meshctl.analyze.filters import ClusterFilter
    from meshctl.analyze.summaries import sorted_clusters
    from meshctl.analyze.tls import dump_static_endpoints, tls_rows, tls_summary
    from meshctl.decode.resources import clusters

    dump = _load_dump(file, admin, pod)
    _missing(dump, "ClustersConfigDump", "clusters")
    views = sorted_clusters(clusters(dump), ClusterFilter(fqdn=fqdn, port=port, subset=subset, direction=direction))
    rows = tls_rows([(view.raw, view.state) for view in views], dump_static_endpoints(dump))
    fmt = data_format(output, query)
    if fmt in ("json", "yaml"):
        emit_data([row.to_dict() for row in rows], output=fmt, query=query)
        return
    emit_table(tls_summary(rows))


@_command("bootstrap", "b")
def bootstrap(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: output_option("json", ("json", "yaml", "short")) = "json",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about the bootstrap configuration of an Envoy instance (a config dump or envoy-rev.json)."""
    from meshctl.decode.bootstrap import bootstrap_document
    from meshctl.decode.configdump import load_json

    data = source_from(file=file, admin=admin, pod=pod).fetch("config_dump")
    document = bootstrap_document(load_json(data, "input"))
    fmt = data_format(output, query)
    if fmt in ("json", "yaml"):
        emit_data(_plain_resources([document], raw)[0], output=fmt, query=query)
        return
    from meshctl.analyze.bootstrap import bootstrap_summary

    emit_text("\n".join(_text(table) for table in bootstrap_summary(document["bootstrap"]) if table.rows))

