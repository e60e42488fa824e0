"""The run's environment: where output goes, what the terminal allows, how to reach the cluster.

`cli.main` makes one `Env` per run and hands it to commands as Click's ``ctx.obj``; a command
gets it with ``Env.of(ctx)``. Nothing below the commands reads ``sys.stdout``, ``os.environ`` or
a global for these: they are passed down from here (httpie's Environment). Tests build an Env
over ``io.StringIO`` (``Env(stdout=out, stderr=err)``) and call ``cli.main(args, env)``.

What it holds:

- ``stdout``, ``stderr`` (text), ``stdin`` (binary): the streams;
- ``terminal``: the once-per-run output decision (`meshctl.render.console.Terminal`: Rich or
  istioctl's plain text, colour, width), from the streams, the environment and ``--color``;
- ``kube``: the Kubernetes flags (`meshctl.model.options.KubeOptions`), filled in as Click parses
  them (`meshctl.commands.options.with_kube_options`);
- ``clock``: ``now()`` in UTC (certificate ages, expiry checks);
- ``cluster()``: the cluster (`meshctl.sources.base.ClusterAccess`), live or a snapshot's
  recording, opened on first use by ``cluster_factory(kube)``.

A plain class, not a dataclass: it is built on every run, `--version` included.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from meshctl.model.options import KubeOptions
from meshctl.render.console import Terminal, detect


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(timezone.utc)


class Env:
    """One run's streams, terminal facts, Kubernetes flags, clock and cluster access."""

    def __init__(
        self,
        *,
        stdout=None,
        stderr=None,
        stdin=None,
        environ: Mapping[str, str] | None = None,
        terminal: Terminal | None = None,
        kube: KubeOptions = KubeOptions(),
        clock: Callable[[], datetime] = utc_now,
        cluster_factory: Callable[[KubeOptions], object] | None = None,
    ) -> None:
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.stdin = stdin  # binary; None: the process's standard input, read only when asked for
        self.environ = os.environ if environ is None else environ
        self.terminal = terminal or detect("auto", stdout=self.stdout, stderr=self.stderr, environ=self.environ)
        self.kube = kube
        self.clock = clock
        self._cluster_factory = cluster_factory
        self._cluster = None
        self.retained: list = []  # big decoded inputs; cli.main decides what becomes of them at the end

    @classmethod
    def of(cls, ctx) -> Env:
        """The Env of a Click/Typer context (``ctx.obj``); a new process Env when the command runs outside cli.main."""
        env = getattr(ctx, "obj", None)
        if not isinstance(env, Env):
            env = cls()
            if ctx is not None:
                ctx.obj = env
        return env

    def use_color(self, choice: str) -> None:
        """Decide the terminal again with ``--color CHOICE`` (auto, always, never)."""
        self.terminal = detect(choice, stdout=self.stdout, stderr=self.stderr, environ=self.environ)

    def binary_stdin(self):
        """Standard input as bytes (``-f -``)."""
        return self.stdin if self.stdin is not None else sys.stdin.buffer

    def text_stdin(self):
        """Standard input as text (locale encoding, universal newlines, as ``sys.stdin``)."""
        if self.stdin is None:
            return sys.stdin
        import io

        return io.TextIOWrapper(self.stdin)

    def cluster(self):
        """The run's `ClusterAccess` (live, or --snapshot's recording), opened once, on first use."""
        if self._cluster is None:
            factory = self._cluster_factory
            if factory is None:
                from meshctl.sources.select import open_cluster as factory
            self._cluster = factory(self.kube)
        return self._cluster

    def retain(self, value) -> None:
        """Keep `value` (a decoded dump) for the rest of the run: cli.main's GC policy decides its end."""
        self.retained.append(value)

    def now(self) -> datetime:
        """The clock's time (UTC)."""
        return self.clock()

    def write(self, text: str) -> None:
        """Write `text` (data, laid out by the command) to stdout, private keys replaced."""
        from meshctl.redact import redact_text

        self.stdout.write(redact_text(text))

    def message(self, text: str) -> None:
        """A message on stderr (``meshctl: note: ...``, progress, summaries): keys replaced, controls escaped."""
        from meshctl.render.safe import safe_text

        print(safe_text(text), file=self.stderr)

    def warn(self, message: str) -> None:
        """``meshctl: warning: MESSAGE`` on stderr, as one line (keys replaced, controls escaped)."""
        from meshctl.render.safe import safe_line

        print(f"meshctl: warning: {safe_line(message)}", file=self.stderr)

    def notifier(self):
        """What -v/--show-path wants said on stderr about how pods are reached (None without -v)."""
        if not self.kube.show_path:
            return None
        from meshctl.render.safe import safe_line

        return lambda message: print(f"meshctl: {safe_line(message)}", file=self.stderr)
