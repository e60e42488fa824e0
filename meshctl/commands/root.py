"""The root command: global options (--debug, --version, --color) and the lazy table of commands.

Sub-commands live in ``meshctl/commands/<module>.py``, each exposing a click ``command`` (or a
Typer ``app``), listed in `COMMANDS`. A module is imported only when its command runs, so that
``meshctl --help`` imports none. `meshctl.cli.main` builds this app and runs it.
"""

# No `from __future__ import annotations`: Typer reads the callbacks' annotations (typer.Context).
import importlib

import typer
from typer.core import TyperGroup

from meshctl import VERSION_TEXT
from meshctl.env import Env
from meshctl.errors import EXIT_CODE_HELP

# name -> (module under meshctl.commands, one-line help, aliases). The help text is
# kept here so that listing commands does not import them.
COMMANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "completion": ("completion", "Print the shell completion script for bash, zsh or fish.", ()),
    "bootstrap": ("bootstrap", "How a sidecar was seeded: xDS/SDS chain, node metadata, istio-proxy args/image/env.", ()),
    "proxy-config": ("pc", "Envoy config views (clusters, listeners, routes, endpoints, secrets, TLS) from a config dump.", ("pc",)),
    "rootca-compare": ("rootca", "Compare the trusted roots of two proxies, or of a proxy and istio-ca-root-cert.", ()),
    "sandbox": ("sandbox", "Run a real Envoy configured like an Istio sidecar, locally (no cluster).", ()),
    "webhooks": ("webhooks", "Sidecar injector webhooks: list them, or say which would fire for a pod and why.", ()),
    "proxy-status": ("proxystatus", "istiod's xDS sync status per proxy, or one proxy's config vs istiod's (istioctl proxy-status).", ("ps",)),
    "sds": ("sds", "Fetch secrets from an SDS socket (as pilot-agent serves them) and compare with Envoy.", ()),
    "template": ("template", "Render a custom injection template (Go text/template + sprig + Istio funcs) offline.", ()),
    "inject": ("inject", "Istio sidecar injection offline (--dry-run), byte-identical to istioctl kube-inject.", ("kube-inject",)),
    "inject-preview": ("inject_preview", "Injection drift: a running pod vs what the injector renders for it now.", ()),
    "snapshot": ("snapshot", "Capture a mesh into one tar.gz (read it with --snapshot); `snapshot diff A B` compares two.", ()),
    "explain": ("explain", "Explain traffic with evidence: SRC -> DST mTLS (explain mtls), one HTTP request's fate (explain request).", ()),
    "authz": ("authz", "AuthorizationPolicies a proxy enforces, from its RBAC filters (authz check, as istioctl x authz check).", ()),
    "check": ("check", "Fleet health checks for CI: reachability, version skew, warming, certs, ROOTCA, tlsMode, revisions.", ()),
    "check-inject": ("checkinject", "Will a pod, workload or set of labels be injected, and why, per injector webhook (istioctl x check-inject).", ()),
    "describe": ("describe", "The Istio config that affects a pod or service, checked against its Envoy (istioctl x describe).", ("des",)),
    "version": ("version", "Client, control plane and data plane versions, with skew warnings (istioctl version).", ()),
    "waypoint": ("waypoint", "Ambient waypoints: list them with what uses them, and whether they are programmed.", ()),
    "ztunnel-config": ("ztunnel_config", "ztunnel's workloads, services, policies, certificates, connections, log level (istioctl ztunnel-config).", ("zc",)),
}


def _alias_table() -> dict[str, str]:
    table = {}
    for name, (_, _, aliases) in COMMANDS.items():
        table[name] = name
        for alias in aliases:
            table[alias] = name
    return table


def build_app():
    """The root Typer app (a LazyGroup over `COMMANDS`)."""

    class LazyGroup(TyperGroup):
        """Imports a sub-command's module only when that sub-command runs."""

        def list_commands(self, ctx):
            return sorted(COMMANDS)

        def get_command(self, ctx, cmd_name):
            name = _alias_table().get(cmd_name)
            if name is None:
                return None
            module = importlib.import_module(f"meshctl.commands.{COMMANDS[name][0]}")
            command = getattr(module, "command", None) or typer.main.get_command(module.app)
            command.name = name
            return command

        def resolve_command(self, ctx, args):
            # Report the canonical name for aliases (`pc` -> `proxy-config`).
            cmd_name, cmd, rest = super().resolve_command(ctx, args)
            return (cmd.name if cmd else cmd_name), cmd, rest

        def format_commands(self, ctx, formatter):
            # Listing uses the help kept in COMMANDS, so `meshctl --help` imports no command.
            rows = []
            for name in self.list_commands(ctx):
                _, help_text, aliases = COMMANDS[name]
                label = f"{name} ({', '.join(aliases)})" if aliases else name
                rows.append((label, help_text))
            if rows:
                with formatter.section("Commands"):
                    formatter.write_dl(rows)

    app = typer.Typer(
        cls=LazyGroup,
        name="meshctl",
        help=(
            "Diagnostics for Istio service meshes: reproduce sidecar injection offline and "
            "decode Envoy proxy config, mTLS and SDS secrets.\n\n" + EXIT_CODE_HELP
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def print_version(ctx: typer.Context, value: bool) -> None:
        if value:
            print(VERSION_TEXT, file=Env.of(ctx).stdout)
            raise typer.Exit()

    def check_color(value: str) -> str:
        from meshctl.commands.options import check_choice
        from meshctl.render.console import COLOR_CHOICES

        return check_choice(value, COLOR_CHOICES, "--color")

    @app.callback()
    def root(
        ctx: typer.Context,
        debug: bool = typer.Option(False, "--debug", help="Print the traceback of any error before its message (exit statuses stay the same)."),
        version: bool = typer.Option(
            False, "--version", is_eager=True, callback=print_version, help="Print the version and exit."
        ),
        color: str = typer.Option(
            "auto", "--color", metavar="auto|always|never", callback=check_color,
            help="Rich tables and colour: auto (stdout a terminal, no NO_COLOR; FORCE_COLOR forces), always, never.",
        ),
    ) -> None:
        # --debug is read by main() before any command runs; declared here for --help.
        Env.of(ctx).use_color(color)  # decided once; renderers are handed env.terminal

    return app
