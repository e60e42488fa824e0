"""Options shared by the commands that run Go templates and read YAML (`inject`, `inject-preview`, `template render`).

What a template may read of this machine (`--template-env`, see meshctl.gotemplate.host), the
limits of one execution (`--template-max-steps`, `--template-max-output`, see
meshctl.gotemplate.limits) and how far YAML aliases may expand (`--max-yaml-alias-nodes`, see
meshctl.goenc.goyaml.AliasLimit). docs/security.md, "Templates", says why.
"""

from __future__ import annotations

from contextlib import contextmanager

import typer

from meshctl.errors import DecodeError, UsageError

MAX_STEPS_FLAG, MAX_OUTPUT_FLAG = "--template-max-steps", "--template-max-output"
MAX_YAML_ALIAS_FLAG = "--max-yaml-alias-nodes"
# The flag that raises each field of meshctl.gotemplate.Limits.
_FLAGS = {"max_steps": MAX_STEPS_FLAG, "max_output": MAX_OUTPUT_FLAG}

# Defaults repeated from meshctl.gotemplate.limits.Limits, whose import would load the engine at start-up
# (tests/gotemplate/test_limits.py checks that they agree).
DEFAULT_MAX_STEPS, DEFAULT_MAX_OUTPUT = 1_000_000, 16 * 1024 * 1024
# go-yaml's own allowance (meshctl.goenc.goyaml.AliasLimit.nodes; tests/hostile/test_yaml_input.py checks they agree).
DEFAULT_YAML_ALIAS_NODES = 100


def template_env_option(trusted_help: str):
    """`--template-env NAME=VALUE` (repeatable); `trusted_help` says how it combines with the local environment."""
    return typer.Option(
        [], "--template-env", metavar="NAME=VALUE", show_default=False,
        help=f"An environment variable the templates' env/expandenv see (repeatable). {trusted_help}",
    )  # fmt: skip


def max_steps_option():
    """`--template-max-steps N` (meshctl.gotemplate.Limits.max_steps)."""
    return typer.Option(
        DEFAULT_MAX_STEPS, MAX_STEPS_FLAG, metavar="N", min=1,
        help="Stop a template after N execution steps (range iterations, template calls, elements built).",
    )  # fmt: skip


def max_output_option():
    """`--template-max-output BYTES` (meshctl.gotemplate.Limits.max_output)."""
    return typer.Option(
        DEFAULT_MAX_OUTPUT, MAX_OUTPUT_FLAG, metavar="BYTES", min=1,
        help="Stop a template whose output, or a string one of its functions builds, exceeds BYTES.",
    )  # fmt: skip


def yaml_alias_nodes_option():
    """`--max-yaml-alias-nodes N` (meshctl.goenc.goyaml.AliasLimit.nodes)."""
    return typer.Option(
        DEFAULT_YAML_ALIAS_NODES, MAX_YAML_ALIAS_FLAG, metavar="N", min=1,
        help="YAML aliases may expand to N nodes in any document; past that, go-yaml's share applies, as in the API "
             "server and istioctl (at most 99% of the nodes decoded, falling to 10% at 4 million).",
    )  # fmt: skip


def limit_yaml_aliases(nodes: int) -> None:
    """Decode every YAML document of this run under `nodes` (`cli.main` runs each command in a context of its own)."""
    from meshctl.goenc import goyaml

    goyaml.ALIAS_LIMIT.set(goyaml.AliasLimit(nodes, f"raise it with {MAX_YAML_ALIAS_FLAG} N"))


def parse_template_env(assignments: list[str]) -> tuple[tuple[str, str], ...]:
    """(NAME, VALUE) pairs from --template-env NAME=VALUE flags."""
    pairs = []
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise UsageError(f"--template-env {assignment!r}: expected NAME=VALUE")
        pairs.append((name, value))
    return tuple(pairs)


def limits(max_steps: int, max_output: int):
    """The meshctl.gotemplate.Limits of the flags."""
    from meshctl.gotemplate.limits import Limits

    return Limits(max_steps=max_steps, max_output=max_output)


@contextmanager
def limit_errors(prefix: str = ""):
    """A template that hit a limit is bad input (exit 65): one line naming the limit and its flag."""
    from meshctl.gotemplate.errors import LimitExceeded

    try:
        yield
    except LimitExceeded as exc:
        raise DecodeError(f"{prefix}{exc} (raise it with {_FLAGS[exc.limit]} N)") from None
