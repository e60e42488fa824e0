"""istioctl's spelling where meshctl claims it: every flag, shorthand and alias of the istioctl
commands meshctl implements, read from istioctl's Go in ../shared/istio-src, must exist in meshctl
with the same meaning, or be listed with the reason in docs/istioctl-flags.md.

Table-driven: `ISTIOCTL_FILES` are the Go files read; a command meshctl does not have (yet) must be
in `NOT_IN_MESHCTL`, and leaves it when it lands (the test fails on a stale entry), so its flags
are checked from then on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import SHARED, require_shared

ISTIO_SRC = SHARED / "istio-src"
DOC = Path(__file__).resolve().parent.parent / "docs" / "istioctl-flags.md"

# (Go file, the istioctl command path its top-level commands hang under)
ISTIOCTL_FILES = [
    ("istioctl/pkg/proxyconfig/proxyconfig.go", ()),
    ("istioctl/pkg/kubeinject/kubeinject.go", ()),
    ("istioctl/pkg/proxystatus/proxystatus.go", ()),
    ("istioctl/pkg/checkinject/checkinject.go", ()),
    ("istioctl/pkg/ztunnelconfig/ztunnelconfig.go", ()),
    ("istioctl/pkg/authz/authz.go", ("experimental",)),
    ("istioctl/pkg/describe/describe.go", ("experimental",)),
]

# istioctl commands (and their sub-commands) meshctl does not have in this branch, and why.
NOT_IN_MESHCTL: dict[tuple[str, ...], str] = {}
# istioctl paths meshctl spells differently: `istioctl x envoy-stats` (StatsConfigCmd, added outside
# proxyconfig.go) is `meshctl pc stats`, alias envoy-stats.
MESHCTL_PATH = {("envoy-stats",): ("proxy-config", "envoy-stats")}

# Flags whose Go is not in ../shared/istio-src, so the files above cannot show them:
# istioctl's root flags (istioctl/pkg/cli/options.go), on every command that reads the cluster,
# and clioptions.ControlPlaneOptions' --revision, where a command attaches them.
ROOT_FLAGS = (("kubeconfig", "c"), ("context", None), ("namespace", "n"), ("istioNamespace", "i"), ("vklog", None))
CONTROL_PLANE_FLAGS = (("revision", "r"),)
# clioptions.CentralControlPlaneOptions (--xds-address and friends): documented as one exception.
CENTRAL_OPTIONS = "(CentralControlPlaneOptions)"
GROUP_FLAGS = "(flags before the sub-command)"


@dataclass
class GoCommand:
    use: str
    aliases: list[str] = field(default_factory=list)
    flags: list[tuple[str, str | None, bool]] = field(default_factory=list)  # (name, shorthand, persistent)
    children: list[str] = field(default_factory=list)  # keys of child commands
    control_plane: bool = False
    central: bool = False


_FUNC = re.compile(r"^func (?:\([^)]*\)\s*)?(\w+)\(([^)]*)\)", re.M)
_COMMAND = re.compile(r"(\w+)\s*:?=\s*&cobra\.Command\{")
_FLAG = re.compile(r"(\w+)\.(Persistent)?Flags\(\)\.(\w+)\(\s*&?[\w.\[\]]+\s*,\s*\"([^\"]+)\"(?:\s*,\s*\"([^\"]*)\")?", re.S)
_ADD = re.compile(r"(\w+)\.AddCommand\((\w+)(\()?")


def _literal(text: str, start: int) -> str:
    """The brace-balanced Go composite literal opening at text[start] == "{"."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start : index + 1]
    return text[start:]


def parse_commands(path: Path) -> dict[str, GoCommand]:
    """Commands of one Go file, keyed "function:variable", with their flags and children.

    cobra's shapes in istioctl: `v := &cobra.Command{Use: "name ...", Aliases: []string{...}}`
    in a constructor function; `v.(Persistent)Flags().XxxVar[P](&x, "name", ["short",] ...)`
    (the P variants take the shorthand); `v.AddCommand(constructor(ctx))` or `v.AddCommand(w)`;
    helpers taking `cmd *cobra.Command` that define flags on it; opts.AttachControlPlaneFlags.
    """
    text = path.read_text()
    starts = [(m.start(), m.group(1), m.group(2)) for m in _FUNC.finditer(text)] + [(len(text), "", "")]
    commands: dict[str, GoCommand] = {}
    first_of: dict[str, str] = {}  # function -> key of the first command it builds
    helpers: dict[str, list] = {}  # function -> flags it defines on its `cmd *cobra.Command` parameter
    bodies = []
    for (start, name, params), (end, _, _) in zip(starts, starts[1:]):
        body = text[start:end]
        local = {}
        for match in _COMMAND.finditer(body):
            literal = _literal(body, match.end() - 1)
            use = re.search(r'Use:\s*"([^" ]+)', literal)
            aliases = re.search(r"Aliases:\s*\[\]string\{([^}]*)\}", literal)
            key = f"{name}:{match.group(1)}"
            commands[key] = GoCommand(use.group(1) if use else "", re.findall(r'"([^"]+)"', aliases.group(1)) if aliases else [])
            local[match.group(1)] = key
            first_of.setdefault(name, key)
        helper_var = re.match(r"\s*(\w+)\s+\*cobra\.Command", params)
        for match in _FLAG.finditer(body):
            var, persistent, function, flag, second = match.groups()
            entry = (flag, second if function.endswith("P") else None, bool(persistent))
            if var in local:
                commands[local[var]].flags.append(entry)
            elif helper_var and var == helper_var.group(1):
                helpers.setdefault(name, []).append(entry)
        bodies.append((name, body, local))
    for name, body, local in bodies:
        for var, key in local.items():
            commands[key].control_plane |= f"opts.AttachControlPlaneFlags({var})" in body
            commands[key].central |= f"centralOpts.AttachControlPlaneFlags({var})" in body
            for helper, flags in helpers.items():
                if re.search(rf"\b{helper}\(\s*{var}\s*[,)]", body):
                    commands[key].flags += flags
        for match in _ADD.finditer(body):
            parent, child, call = match.groups()
            if parent in local:
                child_key = first_of.get(child) if call else local.get(child)
                if child_key:
                    commands[local[parent]].children.append(child_key)
    return commands


def istioctl_commands():
    """(istioctl path, GoCommand, inherited persistent flags) for every command of ISTIOCTL_FILES."""
    found = []
    for relative, prefix in ISTIOCTL_FILES:
        commands = parse_commands(ISTIO_SRC / relative)
        children = {child for command in commands.values() for child in command.children}

        def walk(key, path, inherited):
            command = commands[key]
            found.append((path, command, inherited))
            persistent = inherited + [flag for flag in command.flags if flag[2]]
            for child in command.children:
                walk(child, (*path, commands[child].use), persistent)

        for key, command in commands.items():
            if key not in children and command.use:
                walk(key, (*prefix, command.use), [])
    return found


# ---- meshctl's side ------------------------------------------------------------------------------


def meshctl_command(path: tuple[str, ...]):
    """meshctl's click command for an istioctl path ("experimental" dropped), or None."""
    import typer
    from typer import _click as click

    from meshctl.commands.root import build_app

    command = typer.main.get_command(build_app())
    ctx = click.Context(command)
    path = MESHCTL_PATH.get(tuple(path), path)
    for part in (p for p in path if p != "experimental"):
        if not hasattr(command, "get_command"):
            return None
        command = command.get_command(ctx, part)
        if command is None:
            return None
        ctx = click.Context(command, parent=ctx)
    return command


def documented_exceptions() -> dict[tuple[str, str], str]:
    """(`meshctl path`, flag or alias) -> why, from the table in docs/istioctl-flags.md."""
    rows = {}
    section = DOC.read_text().partition("## Documented exceptions")[2]
    for line in section.splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith(("-", "alias ", "(")) and set(cells[0]) != {"-"}:
            rows[(cells[0], cells[1])] = cells[2]
    return rows


def _excepted(exceptions: dict, where: str, flag: str) -> bool:
    """A documented exception for this command, or for every command ("*")."""
    return (where, flag) in exceptions or ("*", flag) in exceptions


def _not_in_meshctl(path: tuple[str, ...]) -> str | None:
    return next((why for prefix, why in NOT_IN_MESHCTL.items() if path[: len(prefix)] == prefix), None)


def test_the_go_files_are_read():
    require_shared(ISTIO_SRC)
    paths = {path for path, _, _ in istioctl_commands()}
    # What the parser must find, or the test below would check nothing.
    assert {("proxy-config",), ("proxy-config", "cluster"), ("proxy-config", "eds"), ("proxy-config", "rootca-compare"),
            ("kube-inject",), ("proxy-status",), ("check-inject",), ("ztunnel-config", "workload")} <= paths  # fmt: skip
    cluster = next(command for path, command, _ in istioctl_commands() if path == ("proxy-config", "cluster"))
    assert ("file", "f", True) in cluster.flags and cluster.aliases == ["clusters", "c"]


def test_every_istioctl_flag_and_alias_of_meshctls_commands_behaves_as_istioctls():
    require_shared(ISTIO_SRC)
    exceptions = documented_exceptions()
    problems = []
    for path, command, inherited in istioctl_commands():
        if _not_in_meshctl(path):
            continue
        ours = meshctl_command(path)
        if ours is None:
            problems.append(f"istioctl {' '.join(path)}: meshctl has no such command (add it, or list it in NOT_IN_MESHCTL)")
            continue
        where = " ".join(p for p in path if p != "experimental")
        if command.children:
            # cobra takes a group's persistent flags before the sub-command too (`istioctl pc -o
            # json cluster POD`); meshctl's go after it, where each sub-command is checked for them.
            if command.flags and not _excepted(exceptions, where, GROUP_FLAGS):
                problems.append(f"{where}: a group whose flags precede the sub-command in istioctl: document it")
            continue
        by_spelling = {opt: param for param in ours.params for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))}
        wanted = [*command.flags, *inherited, *ROOT_FLAGS]
        wanted += [(*flag, False) for flag in CONTROL_PLANE_FLAGS] if command.control_plane else []
        for name, short, *_ in wanted:
            param = by_spelling.get(f"--{name}")
            if param is None:
                if not _excepted(exceptions, where, f"--{name}"):
                    problems.append(f"{where}: istioctl's --{name} is neither a meshctl flag nor a documented exception")
                continue
            if short and by_spelling.get(f"-{short}") is not param and not _excepted(exceptions, where, f"-{short}"):
                problems.append(f"{where}: istioctl's -{short} means --{name}; meshctl's -{short} does not")
        if command.central and not _excepted(exceptions, where, CENTRAL_OPTIONS):
            problems.append(f"{where}: istioctl's central control plane flags are not documented")
        ours_path = MESHCTL_PATH.get(path, path)
        for alias in command.aliases:
            resolved = meshctl_command((*ours_path[:-1], alias))
            # the same command, or one registered again under the alias (same help, same parameters)
            same = resolved is not None and (resolved.name == ours.name or (
                resolved.help == ours.help and [p.name for p in resolved.params] == [p.name for p in ours.params]))
            if not same and not _excepted(exceptions, where, f"alias {alias}"):
                problems.append(f"{where}: istioctl's alias {alias!r} does not name it in meshctl")
    assert problems == [], "\n".join(problems)


def test_not_in_meshctl_lists_only_commands_meshctl_lacks():
    """A command that landed leaves NOT_IN_MESHCTL, so that its flags are checked."""
    require_shared(ISTIO_SRC)
    stale = [" ".join(prefix) for prefix in NOT_IN_MESHCTL if meshctl_command(prefix) is not None]
    assert stale == [], "remove these from NOT_IN_MESHCTL: meshctl has them now"


def test_every_documented_exception_is_still_needed():
    require_shared(ISTIO_SRC)
    known = {" ".join(p for p in path if p != "experimental") for path, _, _ in istioctl_commands()}
    for (where, flag), why in documented_exceptions().items():
        assert where in known or where == "*", f"docs/istioctl-flags.md names {where!r}, which istioctl does not have"
        assert why, f"docs/istioctl-flags.md: {where} {flag} needs a reason"
        ours = meshctl_command(tuple(where.split())) if where != "*" else None
        if ours is not None and flag.startswith("--"):
            spellings = {opt for param in ours.params for opt in getattr(param, "opts", ())}
            assert flag not in spellings, f"docs/istioctl-flags.md: {where} {flag} exists now; remove the exception"


@pytest.mark.parametrize(("args", "same_as"), [
    (["proxy-config", "ec", "--help"], ["proxy-config", "ecds", "--help"]),
    (["proxy-config", "rc", "--help"], ["proxy-config", "rootca-compare", "--help"]),
    (["kube-inject", "--help"], ["inject", "--help"]),
])
def test_istioctl_aliases_run_the_same_command(args, same_as):
    from helpers import call_meshctl

    assert call_meshctl(*args).stdout == call_meshctl(*same_as).stdout
