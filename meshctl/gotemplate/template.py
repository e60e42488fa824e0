"""Template sets: parse, compile and execute (the engine behind meshctl.gotemplate.render)."""

from __future__ import annotations

import gc
from contextlib import contextmanager

from meshctl.goenc.gofmt import quote_string
from meshctl.goenc.values import MISSING

from .errors import ExecError, TemplateError
from .exec import BUILTIN_NAMES, Compiler, State
from .limits import RUNNING, Limits
from .parser import ParseError, is_empty_tree, parse

_MISSINGKEY_VALUES = {"default": "default", "invalid": "default", "zero": "zero", "error": "error"}


@contextmanager
def _gc_paused():
    """Parsing and compiling allocate tens of thousands of small objects that all stay
    alive; meanwhile the cyclic GC would walk the whole heap again and again (it more
    than doubles the time of a large template). Paused only for that, then restored."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _missingkey(options) -> str:
    mode = "default"
    for option in options:
        key, sep, value = option.partition("=")
        if key != "missingkey" or not sep or value not in _MISSINGKEY_VALUES:
            # text/template option.go panics on an unknown option.
            raise TemplateError(f"unrecognized option: {option}", "parse")
        mode = _MISSINGKEY_VALUES[value]
    return mode


class Template:
    """A parsed set of templates (the root plus its {{define}}/{{block}} templates); each execution
    runs within `limits` (meshctl.gotemplate.limits)."""

    def __init__(self, name: str, funcs: dict, missingkey: str, limits: Limits = Limits()):
        self.name = name
        self.funcs = funcs
        self.missingkey = missingkey
        self.limits = limits
        self.trees: dict = {}
        self._compiled: dict = {}

    @classmethod
    def parse(cls, text: str, name: str = "root", funcs=None, options=(), limits: Limits = Limits()) -> Template:
        """Parse ``text`` as template ``name``; raises TemplateError(phase="parse")."""
        template = cls(name, dict(funcs or {}), _missingkey(options), limits)
        template.add(text, name)
        return template

    def add(self, text: str, name: str | None = None) -> Template:
        """Parse more text into this set (Go's Template.New(name).Parse(text))."""
        try:
            with _gc_paused():
                trees = parse(text, name or self.name, BUILTIN_NAMES | self.funcs.keys())
        except ParseError as exc:
            raise TemplateError(str(exc), "parse") from None
        except RecursionError:
            raise TemplateError(f"template: {name or self.name}: max expression depth exceeded", "parse") from None
        for tree_name, tree in trees.items():
            old = self.trees.get(tree_name)
            if old is not None and is_empty_tree(tree.root) and old.root is not None:
                continue  # text/template associate(): don't replace with an empty template
            self.trees[tree_name] = tree
            self._compiled.pop(tree_name, None)
        return self

    def lookup(self, name: str):
        """The compiled (run, nslots) of template ``name``, or None."""
        compiled = self._compiled.get(name)
        if compiled is None:
            tree = self.trees.get(name)
            if tree is None:
                return None
            compiler = Compiler(self, tree)
            with _gc_paused():
                run = compiler.compile_list(tree.root)
            compiled = self._compiled[name] = (run, compiler.nslots)
        return compiled

    def defined_templates(self) -> list[str]:
        return sorted(self.trees)

    def execute(self, data) -> str:
        """Execute the root template on ``data``; raises TemplateError(phase="exec")."""
        name = self.name
        return self._run(name, data, f"template: {name}: {quote_string(name)} is an incomplete or empty template")

    def execute_template(self, name: str, data) -> str:
        """Execute the template called ``name`` (Go's ExecuteTemplate)."""
        missing = f"template: no template {quote_string(name)} associated with template {quote_string(self.name)}"
        return self._run(name, data, missing)

    def _run(self, name: str, data, missing_message: str) -> str:
        try:
            compiled = self.lookup(name)
        except RecursionError:
            raise TemplateError(f"template: {name}: max expression depth exceeded", "exec") from None
        if compiled is None:
            raise TemplateError(missing_message, "exec")
        run, nslots = compiled
        state = State(self, name, self.limits)
        dot = MISSING if data is None else data  # Go: reflect.ValueOf(nil) is the invalid value
        state.vars = [None] * nslots
        state.vars[0] = dot
        running = RUNNING.set(state)
        try:
            run(state, dot)
            if state.output_size > self.limits.max_output:
                raise state.output_exceeded()
        except ExecError as exc:
            raise TemplateError(str(exc), "exec") from None
        except RecursionError:
            # Go allows 100000 nested {{template}} calls; Python's stack ends sooner.
            reached = f" (Python's stack limit, at depth {state.max_depth})" if state.max_depth else " (Python's stack limit)"
            raise TemplateError(f"template: {name}: exceeded maximum template depth{reached}", "exec") from None
        finally:
            RUNNING.reset(running)
        return "".join(state.out)


def render(text: str, data, *, name: str = "root", funcs=None, options=(), limits: Limits = Limits()) -> str:
    """Parse and execute ``text`` once (Go's template.New(name).Funcs(funcs).Option(options...).Parse(text).Execute)."""
    return Template.parse(text, name=name, funcs=funcs, options=options, limits=limits).execute(data)

