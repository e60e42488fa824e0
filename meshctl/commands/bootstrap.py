"""`meshctl bootstrap POD`: how a sidecar was seeded.

The bootstrap comes from /etc/istio/proxy/envoy-rev.json in istio-proxy (exec; the file
pilot-agent wrote), else from the bootstrap section of Envoy's dump (``config_dump?mask=bootstrap``,
small even on big meshes), or from a file (-f: envoy-rev.json, a dump, or `pc bootstrap -o json`).
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from meshctl.commands._options import emit_data, kube_flags, output_option, with_kube_options

app = typer.Typer(add_completion=False)

OutputOption = output_option("short", ("short", "json", "yaml"))
ENVOY_REV = "/etc/istio/proxy/envoy-rev.json"


@app.command(
    help=(
        "Show how a sidecar was seeded: node id and metadata, the xds-grpc -> ./etc/istio/proxy/XDS -> discovery "
        "address chain, sds-grpc -> the SDS socket, static clusters, and the istio-proxy container's image, "
        "revision, args and env. Reads envoy-rev.json (exec) or the dump's bootstrap; -f reads a file."
    )
)
def bootstrap(
    pod: Optional[str] = typer.Argument(None, metavar="[POD[.NAMESPACE]]", show_default=False),
    file: Optional[str] = typer.Option(None, "-f", "--file", metavar="PATH", help="envoy-rev.json, a config dump, or a BootstrapConfigDump.", show_default=False),
    output: OutputOption = "short",
) -> None:
    from meshctl.analyze.sidecar import proxy_container_facts, seed_chain
    from meshctl.decode.bootstrap import bootstrap_document
    from meshctl.decode.configdump import load_json
    from meshctl.errors import UsageError

    if bool(pod) == bool(file):
        raise UsageError("give a POD or -f FILE (one of them)")
    container_facts, container, origin = None, None, file
    if file:
        from meshctl.sources.file import FileSource

        data = FileSource(file).fetch("")
    else:
        data, origin, pod_object, container = _from_pod(pod)
        container_facts = proxy_container_facts(pod_object, container)
    wrapper = bootstrap_document(load_json(data, origin))
    config = wrapper["bootstrap"]
    chain = seed_chain(config, container)
    if output != "short":
        emit_data({"source": origin, "nodeId": (config.get("node") or {}).get("id", ""), "seedChain": chain,
                   "container": container_facts, "bootstrap": config}, output=output, query=None)  # fmt: skip
        return
    sys.stdout.write(_text(config, chain, container_facts))


def _from_pod(ref: str):
    """(bytes, where they came from, pod, istio-proxy container)."""
    from meshctl.errors import SourceError
    from meshctl.sources.kube import PROXY_CONTAINER, connect
    from meshctl.sources.pod import proxy_source

    flags = kube_flags()
    notify = flags.get("notify") or (lambda message: None)
    kube = connect(flags)
    source = proxy_source(kube, ref, flags)
    pod = source.pod
    container = kube.require_proxy(pod)
    try:
        data = kube.exec_in(pod, PROXY_CONTAINER, ["cat", ENVOY_REV])
        notify(f"read {ENVOY_REV} from {source.name} (exec)")
        return data, f"{source.name}:{ENVOY_REV}", pod, container
    except SourceError as exc:
        notify(f"cannot read {ENVOY_REV} ({exc}); using the dump's bootstrap section")
    return source.fetch("config_dump?mask=bootstrap"), f"{source.name} config_dump", pod, container


def _text(config: dict, chain: list[dict], container: dict | None) -> str:
    from meshctl.analyze.bootstrap import bootstrap_summary
    from meshctl.model.tabular import Tabular
    from meshctl.render.table import render_table

    info, clusters = bootstrap_summary(config)
    rows = [["Seed Chain:" if i == 0 else "", " -> ".join(link["hops"])] for i, link in enumerate(chain)]
    if container:
        rows += [["Proxy Image:", container["image"]], ["Revision:", container["revision"] or "-"],
                 ["Proxy Args:", " ".join(container["args"])]]  # fmt: skip
        rows += [["Proxy Env:" if i == 0 else "", f"{k}={v}"] for i, (k, v) in enumerate(sorted(container["env"].items()))]
    text = render_table(Tabular(columns=[], rows=[*info.rows, *rows], padding=1))
    return text + ("\n" + render_table(clusters) if clusters.rows else "")


command = with_kube_options(typer.main.get_command(app))
