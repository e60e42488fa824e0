"""`meshctl proxy-config` (`pc`): Envoy configuration views, istioctl-exact.

One module per sub-command (``meshctl/commands/pc/<module>.py``), listed in `SUBCOMMANDS`: the
group imports and builds only the sub-command that runs (Typer would build every one, with their
option sets, on every `pc` run), and resolves istioctl's aliases to it. Adding a view is a module
and one line here (docs/architecture.md).
"""

import importlib

import typer

from meshctl.commands.groups import LazyAliasGroup, lazy_group_app, one_command

# name -> (module under meshctl.commands, function, istioctl's aliases), in `pc --help` order.
SUBCOMMANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "cluster": ("pc.cluster", "cluster", ("c", "clusters")),
    "listener": ("pc.listener", "listener", ("l", "listeners")),
    "route": ("pc.route", "route", ("r", "routes")),
    "endpoint": ("pc.endpoint", "endpoint", ("ep", "endpoints")),
    "eds": ("pc.endpoint", "eds", ()),
    "ecds": ("pc.ecds", "ecds", ("ec", "ecd")),
    "all": ("pc.all_config", "all_config", ("a",)),
    "secret": ("pc.secret", "secret", ("s", "secrets")),
    "tls": ("pc.tls", "tls", ()),
    "bootstrap": ("pc.bootstrap", "bootstrap", ("b",)),
    "log": ("pc.log", "log", ("o",)),
    "stats": ("pc.stats", "stats", ("envoy-stats", "es")),
    "diff": ("pc.diff", "diff", ()),
    "rootca-compare": ("rootca", "rootca_compare", ("rc",)),
}
ALIASES = {alias: name for name, (_, _, aliases) in SUBCOMMANDS.items() for alias in aliases}


class _LazyGroup(LazyAliasGroup):
    """Builds only the sub-command that runs, and resolves istioctl's aliases to it."""

    names = tuple(SUBCOMMANDS)
    aliases = ALIASES
    build = staticmethod(lambda name: _build(name))


app = lazy_group_app(_LazyGroup, "proxy-config", "Retrieve Envoy configuration (clusters, listeners, routes, endpoints, secrets, ...) from a config dump.")


def _build(name: str):
    """The click command for sub-command `name`, with the Kubernetes flags."""
    from meshctl.commands.options import add_kube_options

    module_name, function_name, _ = SUBCOMMANDS[name]
    module = importlib.import_module(f"meshctl.commands.{module_name}")
    command = one_command(name, getattr(module, function_name), getattr(module, "HELP", None))
    if getattr(module, "MULTI_POD", False):
        from meshctl.commands.pc.view import add_multi_pod_options

        add_multi_pod_options(command)
    return add_kube_options(command)


# The group alone: _LazyGroup builds the sub-command asked for.
command = typer.main.get_group(app)
