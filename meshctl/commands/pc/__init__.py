"""`meshctl proxy-config` (`pc`): Envoy configuration views, istioctl-exact.

One module per sub-command (``meshctl/commands/pc/<module>.py``), listed in `SUBCOMMANDS`: the
group imports and builds only the sub-command that runs (Typer would build every one, with their
option sets, on every `pc` run), and resolves istioctl's aliases to it. Adding a view is a module
and one line here (docs/architecture.md).
"""

import importlib

import typer
from typer.core import TyperGroup

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


class _LazyGroup(TyperGroup):
    """Builds only the sub-command that runs, and resolves istioctl's aliases to it."""

    def list_commands(self, ctx):
        return list(SUBCOMMANDS)

    def get_command(self, ctx, cmd_name):
        name = ALIASES.get(cmd_name, cmd_name)
        if name not in self.commands and name in SUBCOMMANDS:
            self.commands[name] = _build(name)
        return self.commands.get(name)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else name), command, rest

    def format_epilog(self, ctx, formatter):
        rows = [(name, ", ".join(aliases)) for name, (_, _, aliases) in SUBCOMMANDS.items() if aliases]
        with formatter.section("Aliases (as istioctl)"):
            formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


app = typer.Typer(
    cls=_LazyGroup,
    name="proxy-config",
    help="Retrieve Envoy configuration (clusters, listeners, routes, endpoints, secrets, ...) from a config dump.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _build(name: str):
    """The click command for sub-command `name`, with the Kubernetes flags."""
    from meshctl.commands.options import add_kube_options

    module_name, function_name, _ = SUBCOMMANDS[name]
    module = importlib.import_module(f"meshctl.commands.{module_name}")
    callback = getattr(module, function_name)
    # A one-command Typer app is that command (Typer's public way to build one click command).
    single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    single.command(name=name, help=getattr(module, "HELP", None))(callback)
    command = typer.main.get_command(single)
    if getattr(module, "MULTI_POD", False):
        from meshctl.commands.pc.view import add_multi_pod_options

        add_multi_pod_options(command)
    return add_kube_options(command)


# The group alone: _LazyGroup builds the sub-command asked for.
command = typer.main.get_group(app)
