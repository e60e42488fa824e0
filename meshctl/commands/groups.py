"""Command groups that build only the sub-command that runs (`proxy-config`, `ztunnel-config`).

Building every sub-command of a group (Typer converting each signature into click parameters)
costs start-up time that one run never uses: tests/test_startup.py holds both groups to building
one. istioctl's aliases (`pc c`, `zc certs`) resolve to the sub-command and are listed under
--help.
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from typer.core import TyperGroup


class LazyAliasGroup(TyperGroup):
    """A group of `names` (in --help order) with istioctl's `aliases` (alias -> name); `build(name)`
    makes the click command of one sub-command, the first time it is asked for."""

    names: tuple[str, ...] = ()
    aliases: dict[str, str] = {}
    build: Callable[[str], object]

    def list_commands(self, ctx):
        """The sub-commands' names, in --help order."""
        return list(self.names)

    def get_command(self, ctx, cmd_name):
        """The sub-command called `cmd_name` or aliased so, built now if it was not yet."""
        name = self.aliases.get(cmd_name, cmd_name)
        if name not in self.commands and name in self.names:
            self.commands[name] = self.build(name)
        return self.commands.get(name)

    def resolve_command(self, ctx, args):
        """Click's resolution, naming the sub-command by its name, not the alias typed."""
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else name), command, rest

    def format_epilog(self, ctx, formatter):
        """--help ends with the aliases of each sub-command."""
        by_name: dict[str, list[str]] = {}
        for alias, name in self.aliases.items():
            by_name.setdefault(name, []).append(alias)
        with formatter.section("Aliases (as istioctl)"):
            formatter.write_dl([(name, ", ".join(by_name[name])) for name in self.names if name in by_name])
        super().format_epilog(ctx, formatter)


def lazy_group_app(group: type[LazyAliasGroup], name: str, help: str) -> typer.Typer:
    """The Typer app of a lazily built group (`pc`, `zc`): help with no arguments, plain help, no
    pretty tracebacks (cli.main is the error boundary)."""
    return typer.Typer(
        cls=group,
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def one_command(name: str, callback: Callable, help: str | None = None):
    """The click command of `callback`, named `name` (the group adds the Kubernetes flags).

    A one-command Typer app is that command: Typer's public way to build one click command.
    """
    single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    single.command(name=name, help=help)(callback)
    return typer.main.get_command(single)
