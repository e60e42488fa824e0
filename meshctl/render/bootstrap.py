"""Text of `meshctl bootstrap POD` (short): the bootstrap's facts, the seed chain, the istio-proxy container."""

from __future__ import annotations

from meshctl.model.tabular import Tabular
from meshctl.render.console import Terminal
from meshctl.render.table import render_table


def seed_text(config: dict, chain: list[dict], container: dict | None, terminal: Terminal) -> str:
    """Node and discovery facts, the xds-grpc/sds-grpc seed chain, the container's image/revision/args/env,
    then the static clusters (analyze.bootstrap.bootstrap_tables, analyze.sidecar.seed_chain)."""
    from meshctl.analyze.bootstrap import bootstrap_tables

    info, clusters = bootstrap_tables(config)
    rows = [["Seed Chain:" if i == 0 else "", " -> ".join(link["hops"])] for i, link in enumerate(chain)]
    if container:
        rows += [["Proxy Image:", container["image"]], ["Revision:", container["revision"] or "-"],
                 ["Proxy Args:", " ".join(container["args"])]]  # fmt: skip
        rows += [["Proxy Env:" if i == 0 else "", f"{k}={v}"] for i, (k, v) in enumerate(sorted(container["env"].items()))]
    text = render_table(Tabular(columns=[], rows=[*info.rows, *rows], padding=1), terminal)
    return text + ("\n" + render_table(clusters, terminal) if clusters.rows else "")
