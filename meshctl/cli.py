"""The root command, lazy sub-command loading, and the one error boundary.

Sub-commands live in ``meshctl/commands/<module>.py``, each exposing a Typer ``app``
(a group) or a click command. They are imported only when invoked, so that
``meshctl --help`` and ``meshctl --version`` stay fast (typer/rich/kubernetes/grpc are
never imported on those paths).
"""

from __future__ import annotations

import os
import sys

from meshctl import __version__
from meshctl.errors import EXIT_CODE_HELP, ExitStatus, MeshctlError

# Help and usage errors are plain text: quick to print (no Rich import) and stable for the generated
# docs/reference.md. Typer reads this once, when it is first imported, so it is set here.
os.environ.setdefault("TYPER_USE_RICH", "0")

VERSION_TEXT = (
    f"meshctl {__version__} (istio-meshctl: diagnostics for Istio service meshes; "
    "not Solo.io's meshctl nor PyPI's 'meshctl')"
)

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
    "explain": ("explain", "Explain traffic with evidence: will SRC -> DST be mTLS, plaintext, or fail (explain mtls).", ()),
    "check": ("check", "Fleet health checks for CI: reachability, version skew, warming, certs, ROOTCA, tlsMode, revisions.", ()),
}


def _alias_table() -> dict[str, str]:
    table = {}
    for name, (_, _, aliases) in COMMANDS.items():
        table[name] = name
        for alias in aliases:
            table[alias] = name
    return table


def _build_app():
    import typer
    from typer.core import TyperGroup

    from meshctl.plain_coercion import without_pydantic

    class LazyGroup(TyperGroup):
        """Imports a sub-command's module only when that sub-command runs."""

        def list_commands(self, ctx):
            return sorted(COMMANDS)

        def get_command(self, ctx, cmd_name):
            name = _alias_table().get(cmd_name)
            if name is None:
                return None
            import importlib

            module = importlib.import_module(f"meshctl.commands.{COMMANDS[name][0]}")
            command = getattr(module, "command", None) or typer.main.get_command(module.app)
            command.name = name
            return without_pydantic(command)

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

    def print_version(value: bool) -> None:
        if value:
            print(VERSION_TEXT)
            raise typer.Exit()

    def check_color(value: str) -> str:
        from meshctl.render.console import COLOR_CHOICES

        if value not in COLOR_CHOICES:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(COLOR_CHOICES)}")
        return value

    @app.callback()
    def root(
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks for unexpected errors."),
        version: bool = typer.Option(
            False, "--version", is_eager=True, callback=print_version, help="Print the version and exit."
        ),
        color: str = typer.Option(
            "auto", "--color", metavar="auto|always|never", callback=check_color,
            help="Rich tables and colour: auto (stdout a terminal, no NO_COLOR; FORCE_COLOR forces), always, never.",
        ),
    ) -> None:
        # --debug is read by main() before any command runs; declared here for --help.
        from meshctl.render.console import use_color

        use_color(color)  # decided once, read by the renderers (meshctl.render.console.current)

    return app


def main(argv: list[str] | None = None) -> int:
    """Run meshctl; the one place that turns errors into messages and exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        # Fast path: no typer import, so `meshctl --version` costs little more than Python's start.
        print(VERSION_TEXT)
        return ExitStatus.OK
    debug = "--debug" in args or bool(os.environ.get("MESHCTL_DEBUG"))
    try:
        import typer
        from typer import _click as click  # Typer vendors Click: its usage errors live here

        if os.environ.get("_MESHCTL_COMPLETE"):
            # A completion script is asking for candidates: Typer's shell classes answer it.
            from typer._completion_classes import completion_init

            completion_init()

        from meshctl.plain_coercion import without_pydantic

        command = without_pydantic(typer.main.get_command(_build_app()))
        try:
            # Outside standalone mode, Click returns the code of a `typer.Exit(code)` raised by a command.
            returned = command.main(args=args, prog_name="meshctl", standalone_mode=False)
        except typer.Exit as exit_:
            return exit_.exit_code
        except typer.Abort:
            print("meshctl: interrupted", file=sys.stderr)
            return ExitStatus.INTERRUPTED
        except click.exceptions.ClickException as exc:
            exc.show()
            return ExitStatus.USAGE if isinstance(exc, click.exceptions.UsageError) else exc.exit_code
        return returned if isinstance(returned, int) else ExitStatus.OK
    except MeshctlError as exc:
        if debug:
            raise
        from meshctl.render.console import error_text  # here, not at the top: it loads dataclasses

        print(error_text(f"meshctl: error: {exc}"), file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("meshctl: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # `meshctl ... | head`: the reader went away; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.OK
    except Exception as exc:  # the error boundary: one line, never a traceback unless --debug
        if debug:
            raise
        from meshctl.render.console import error_text

        print(error_text(f"meshctl: error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for a traceback)"), file=sys.stderr)
        return ExitStatus.UNEXPECTED
    finally:
        from meshctl.render.console import end_run

        end_run()  # the --color decision belongs to this run only
