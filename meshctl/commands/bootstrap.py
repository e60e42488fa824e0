"""`meshctl bootstrap POD`: how a sidecar was seeded.

The bootstrap comes from /etc/istio/proxy/envoy-rev.json in istio-proxy (exec; the file
pilot-agent wrote), else from the bootstrap section of Envoy's dump (``config_dump?mask=bootstrap``,
small even on big meshes), or from a file (-f: envoy-rev.json, a dump, or `pc bootstrap -o json`).
"""

from __future__ import annotations

from typing import Optional

import typer

from meshctl.commands.options import QueryOption, RawOption, complete_pods, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

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
    ctx: typer.Context,
    pod: Optional[str] = typer.Argument(None, metavar="POD[.NS]", show_default=False, autocompletion=complete_pods),
    file: Optional[str] = typer.Option(None, "-f", "--file", metavar="PATH", help="envoy-rev.json, a config dump, or a BootstrapConfigDump.", show_default=False),
    output: OutputOption = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """`meshctl bootstrap` (its --help text is the decorator's)."""
    from meshctl.analyze.sidecar import proxy_container_facts, seed_chain
    from meshctl.decode.bootstrap import bootstrap_document
    from meshctl.decode.configdump import load_json
    from meshctl.errors import UsageError

    env = Env.of(ctx)
    if bool(pod) == bool(file):
        raise UsageError("give a POD or -f FILE (one of them)")
    container_facts, container, origin = None, None, file
    if file:
        from meshctl.sources.file import FileSource

        data = FileSource(file, stdin=env.binary_stdin()).fetch("")
    else:
        data, origin, pod_object, container = _from_pod(env, pod)
        container_facts = proxy_container_facts(pod_object, container)
    wrapper = bootstrap_document(load_json(data, origin))
    config = wrapper["bootstrap"]
    chain = seed_chain(config, container)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        from meshctl.decode.protojson import istioctl_resource
        from meshctl.model.document import document

        emit(env, document("bootstrap", {"source": origin, "nodeId": (config.get("node") or {}).get("id", ""), "seedChain": chain,
                                         "container": container_facts, "bootstrap": config if raw else istioctl_resource(config)}),
             fmt, query)  # fmt: skip
        return
    from meshctl.render.bootstrap import seed_text

    emit(env, seed_text(config, chain, container_facts, env.terminal))


def _from_pod(env: Env, ref: str):
    """(bytes, where they came from, pod, istio-proxy container)."""
    from meshctl.errors import SourceError
    from meshctl.model.pods import PROXY_CONTAINER
    from meshctl.sources.pod import proxy_source

    notify = env.notifier() or (lambda message: None)
    kube = env.cluster()
    source = proxy_source(kube, ref, env.notifier())
    pod = source.pod
    container = kube.require_proxy(pod)
    try:
        data = kube.exec_in(pod, PROXY_CONTAINER, ["cat", ENVOY_REV])
        notify(f"read {ENVOY_REV} from {source.name} (exec)")
        return data, f"{source.name}:{ENVOY_REV}", pod, container
    except SourceError as exc:
        notify(f"cannot read {ENVOY_REV} ({exc}); using the dump's bootstrap section")
    return source.fetch("config_dump?mask=bootstrap"), f"{source.name} config_dump", pod, container


command = with_kube_options(typer.main.get_command(app))
