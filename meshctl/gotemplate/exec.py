"""Executor: compiles parse trees into Python closures with Go text/template semantics.

A port of go/src/text/template/exec.go. Each node is compiled once into a closure, so
executing a parsed template many times costs no per-node dispatch on node types.
Variables are resolved to frame slots at compile time (the parser has already checked
that every variable is declared, and Go's variable stack follows the lexical nesting).
"""

from __future__ import annotations

import inspect

from meshctl.goenc.gofmt import format_float, format_value
from meshctl.goenc.values import MISSING, GoValue, go_kind, go_type_name, is_true

from . import gobuiltins as gb
from .errors import ExecError, TemplateError
from .limits import STRING_STEP, Budget, Limits
from .parser import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    Tree,
    VariableNode,
    WithNode,
)
from .typed import Struct

_NOFINAL = object()  # Go's missingVal: no value piped in from a previous command.

MISSINGKEY_DEFAULT, MISSINGKEY_ZERO, MISSINGKEY_ERROR = "default", "zero", "error"

# Builtins whose Go parameters are reflect.Value (they see invalid values and nil
# interfaces as they are); the others take `any` (invalid becomes nil).
_REFLECT_BUILTINS = {
    "and": (1, True),
    "or": (1, True),
    "not": (1, False),
    "len": (1, False),
    "index": (1, True),
    "slice": (1, True),
    "eq": (1, True),
    "ne": (2, False),
    "lt": (2, False),
    "le": (2, False),
    "gt": (2, False),
    "ge": (2, False),
    "call": (1, True),
}
_BUILTIN_IMPLS = {
    "not": gb.go_not,
    "len": gb.go_len,
    "index": gb.go_index,
    "slice": gb.go_slice,
    "eq": gb.go_eq,
    "ne": gb.go_ne,
    "lt": gb.go_lt,
    "le": gb.go_le,
    "gt": gb.go_gt,
    "ge": gb.go_ge,
    "print": gb.go_print,
    "println": gb.go_println,
    "printf": gb.go_printf,
    "html": gb.go_html,
    "js": gb.go_js,
    "urlquery": gb.go_urlquery,
}
BUILTIN_NAMES = frozenset(_BUILTIN_IMPLS) | {"and", "or", "call"}


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_BREAK, _CONTINUE = _Break(), _Continue()


class State(Budget):
    """One execution: output, variables, the template running, and what is left of the Limits."""

    __slots__ = ("out", "vars", "depth", "max_depth", "engine")

    def __init__(self, engine, name: str, limits: Limits):
        super().__init__(limits, name)
        self.out: list[str] = []
        self.vars: list = []
        self.depth = 0
        self.max_depth = 0  # template nesting reached when Python's stack ran out
        self.engine = engine


def _fail(st: State, node: Node | None, msg: str):
    name = st.name.replace("%", "%%")
    if node is None:
        raise ExecError(f"template: {name}: {msg}")
    location, context = node.tree.error_context(node)
    raise ExecError(f"template: {location}: executing {gb_quote(name)} at <{context}>: {msg}")


def gb_quote(s: str) -> str:
    from meshctl.goenc.gofmt import quote_string

    return quote_string(s)


def print_text(value) -> str:
    """What {{value}} writes (exec.go printValue + fmt.Fprint)."""
    if value.__class__ is str:
        return value
    if value is MISSING or value is None:
        return "<no value>" if value is MISSING else "<nil>"
    if value.__class__ is float:
        return format_float(value, "g", -1)
    if value.__class__ is bool:
        return "true" if value else "false"
    if value.__class__ is int:
        return str(value)
    if isinstance(value, GoValue) and value.go_kind == "ptr":
        return "<nil>"  # a nil pointer (non-nil pointers to structs are the structs)
    if getattr(value, "is_pointer", False):
        return format_value(value, "v")[1:]  # printValue indirects: {...}, not &{...}
    return format_value(value, "v")


_ARITY_CACHE: dict = {}


def _arity(fn) -> tuple[int, bool] | None:
    """(number of fixed parameters, variadic) of a Python callable, or None if unknown.
    Cached by code object: methods of typed values are looked up on every call."""
    func = getattr(fn, "__func__", fn)
    code = getattr(func, "__code__", None)
    if code is None:
        return _signature_arity(fn)
    key = (code, func is not fn, getattr(func, "__defaults__", None))
    try:
        return _ARITY_CACHE[key]
    except KeyError:
        arity = _ARITY_CACHE[key] = _signature_arity(fn)
        return arity
    except TypeError:  # unhashable defaults
        return _signature_arity(fn)


def _signature_arity(fn) -> tuple[int, bool] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    fixed = 0
    variadic = False
    for param in sig.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            if param.default is param.empty:
                fixed += 1
            else:
                variadic = True
        elif param.kind == param.VAR_POSITIONAL:
            variadic = True
    return fixed, variadic


class Compiler:
    """Compiles one Tree into a closure ``run(state, dot)``."""

    def __init__(self, engine, tree: Tree):
        self.engine = engine
        self.tree = tree
        self.scope: list[tuple[str, int]] = [("$", 0)]
        self.nslots = 1

    # -- variables --
    def declare(self, name: str) -> int:
        slot = self.nslots
        self.nslots += 1
        self.scope.append((name, slot))
        return slot

    def resolve(self, name: str) -> int | None:
        for var, slot in reversed(self.scope):
            if var == name:
                return slot
        return None

    def resolve_assigned(self, pipe: PipeNode) -> list[int]:
        """Slots of `$x = ...` targets. Assigning an undeclared variable parses but fails
        when executed (exec.go setVar); such targets get a slot that reports it."""
        slots = []
        for var in pipe.decl:
            slot = self.resolve(var.ident[0])
            if slot is None:
                slot = -1
            slots.append(slot)
        return slots

    # -- statements --
    def compile_list(self, lst: ListNode | None):
        if lst is None:
            return None
        fns = []
        for node in lst.nodes:
            fn = self.compile_node(node)
            if fn is not None:
                fns.append(fn)
        if not fns:
            return lambda st, dot: None
        if len(fns) == 1:
            return fns[0]
        fns = tuple(fns)

        def run_list(st, dot):
            for fn in fns:
                fn(st, dot)

        return run_list

    def compile_node(self, node: Node):
        if isinstance(node, TextNode):
            text = node.text
            size = len(text)

            def run_text(st, dot):
                st.out.append(text)
                st.output_size += size

            return run_text
        if isinstance(node, CommentNode):
            return None
        if isinstance(node, ActionNode):
            pipe = self.compile_pipeline(node.pipe)
            if node.pipe.decl:
                return lambda st, dot: pipe(st, dot)
            return self._print_action(node, pipe)
        if isinstance(node, (IfNode, WithNode)):
            return self.compile_if_with(node)
        if isinstance(node, RangeNode):
            return self.compile_range(node)
        if isinstance(node, TemplateNode):
            return self.compile_template_call(node)
        if isinstance(node, BreakNode):
            exc = _CONTINUE if isinstance(node, ContinueNode) else _BREAK

            def run_break(st, dot):
                raise exc

            return run_break
        raise ExecError(f"template: {self.tree.parse_name}: unknown node: {node}")

    def _print_action(self, node, pipe):
        def run_action(st, dot):
            value = pipe(st, dot)
            if callable(value) and not isinstance(value, (GoValue, type)):
                _fail(st, node, f"can't print {node.pipe} of type {go_type_name(value)}")
            text = print_text(value)
            st.out.append(text)
            st.output_size += len(text)
            if st.output_size > st.limits.max_output:
                raise st.output_exceeded()

        return run_action

    def compile_if_with(self, node):
        mark = len(self.scope)
        pipe = self.compile_pipeline(node.pipe)
        body = self.compile_list(node.list)
        else_body = self.compile_list(node.else_list)
        del self.scope[mark:]
        is_with = isinstance(node, WithNode)

        def run_if(st, dot):
            value = pipe(st, dot)
            if is_true(value):
                body(st, value if is_with else dot)
            elif else_body is not None:
                else_body(st, dot)

        return run_if

    def compile_range(self, node: RangeNode):
        mark = len(self.scope)
        pipe = self.compile_pipeline(node.pipe)
        decl_slots = [self.resolve(v.ident[0]) for v in node.pipe.decl]
        body = self.compile_list(node.list)
        else_body = self.compile_list(node.else_list)
        del self.scope[mark:]
        ndecl = len(decl_slots)
        # Which slot gets the element and which the index (exec.go walkRange).
        if ndecl == 0:
            elem_slot = index_slot = None
        elif ndecl == 1:
            elem_slot, index_slot = decl_slots[0], None
        else:
            index_slot, elem_slot = decl_slots[0], decl_slots[1]

        def iterate(st, index, elem):
            st.steps_left -= 1
            if st.steps_left < 0 or st.output_size > st.limits.max_output:
                raise st.steps_exceeded() if st.steps_left < 0 else st.output_exceeded()
            frame = st.vars
            if elem_slot is not None:
                frame[elem_slot] = elem
            if index_slot is not None:
                frame[index_slot] = index
            try:
                body(st, elem)
            except _Continue:
                pass

        def run_range(st, dot):
            value = pipe(st, dot)
            kind = go_kind(value)
            try:
                if kind == "slice":
                    if len(value):
                        for i, elem in enumerate(value):
                            iterate(st, i, elem)
                        return
                elif kind == "map":
                    if len(value):
                        from meshctl.goenc.gofmt import map_key_order

                        for key in sorted(value, key=map_key_order):
                            iterate(st, key, value[key])
                        return
                elif kind in ("int", "uint"):
                    if ndecl > 1:
                        _fail(st, node.pipe, f"can't use {format_value(value)} to iterate over more than one variable")
                    n = int(value)
                    if n > 0:
                        for i in range(n):
                            iterate(st, MISSING, type(value)(i) if isinstance(value, GoValue) else i)
                        return
                elif kind != "invalid":
                    _fail(st, node.pipe, f"range can't iterate over {format_value(value)}")
            except _Break:
                return
            if else_body is not None:
                else_body(st, dot)

        return run_range

    def compile_template_call(self, node: TemplateNode):
        pipe = self.compile_pipeline(node.pipe) if node.pipe is not None else None
        engine = self.engine
        name = node.name

        def run_template(st, dot):
            compiled = engine.lookup(name)
            if compiled is None:
                _fail(st, node, f"template {gb_quote(name)} not defined")
            if st.depth >= 100000:
                _fail(st, node, "exceeded maximum template depth (100000)")
            st.steps_left -= 1
            if st.steps_left < 0 or st.output_size > st.limits.max_output:
                raise st.steps_exceeded() if st.steps_left < 0 else st.output_exceeded()
            new_dot = pipe(st, dot) if pipe is not None else MISSING
            run, nslots = compiled
            saved = st.vars, st.name
            frame = [None] * nslots
            frame[0] = new_dot
            st.vars, st.name = frame, name
            st.depth += 1
            try:
                run(st, new_dot)
            except RecursionError:
                st.max_depth = max(st.max_depth, st.depth)
                raise
            finally:
                st.depth -= 1
                st.vars, st.name = saved

        return run_template

    # -- expressions --
    def compile_pipeline(self, pipe: PipeNode | None):
        """Returns ev(st, dot) -> value, declaring/assigning the pipeline's variables."""
        if pipe is None:
            return lambda st, dot: MISSING
        cmds = [self.compile_command(cmd) for cmd in pipe.cmds]
        if pipe.is_assign:
            slots = self.resolve_assigned(pipe)
        else:
            slots = [self.declare(v.ident[0]) for v in pipe.decl]
        first = cmds[0]
        rest = tuple(cmds[1:])
        if -1 in slots:
            undefined = pipe.decl[slots.index(-1)].ident[0]
            at = pipe.cmds[-1].args[-1]

            def ev_undefined_var(st, dot):
                value = first(st, dot, _NOFINAL)
                for cmd in rest:
                    value = cmd(st, dot, value)
                _fail(st, at, f"undefined variable: {undefined}")

            return ev_undefined_var

        if not rest and not slots:

            def ev_simple(st, dot):
                value = first(st, dot, _NOFINAL)
                return MISSING if value is None else value

            return ev_simple

        def ev_pipe(st, dot):
            value = first(st, dot, _NOFINAL)
            if value is None:
                value = MISSING
            for cmd in rest:
                value = cmd(st, dot, value)
                if value is None:
                    value = MISSING
            for slot in slots:
                st.vars[slot] = value
            return value

        return ev_pipe

    def compile_command(self, cmd: CommandNode):
        """Returns ev(st, dot, final) -> value (exec.go evalCommand)."""
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.compile_field_chain(cmd, first, first.ident, None)
        if isinstance(first, ChainNode):
            if isinstance(first.node, NilNode):
                node = first

                def ev_nil_chain(st, dot, final):
                    _fail(st, node, f"indirection through explicit nil in {node}")

                return ev_nil_chain
            receiver = self.compile_arg(first.node, "any_raw")
            return self.compile_field_chain(cmd, first, first.field, receiver)
        if isinstance(first, IdentifierNode):
            return self.compile_call(cmd, first)
        if isinstance(first, VariableNode):
            slot = self.resolve(first.ident[0])
            if slot is None:  # parsed after a failed `$x = ...`; Go fails at run time
                missing_var = first.ident[0]

                def ev_undefined(st, dot, final):
                    _fail(st, first, f"undefined variable: {missing_var}")

                return ev_undefined
            if len(first.ident) == 1:
                check = self._not_a_function(cmd)

                def ev_var(st, dot, final):
                    check(st, final)
                    return st.vars[slot]

                return ev_var

            def receiver_var(st, dot):
                return st.vars[slot]

            return self.compile_field_chain(cmd, first, first.ident[1:], receiver_var)
        check = self._not_a_function(cmd)
        if isinstance(first, PipeNode):
            check = self._not_a_function(cmd, at=cmd)
            inner = self.compile_pipeline(first)

            def ev_paren(st, dot, final):
                check(st, final)
                return inner(st, dot)

            return ev_paren
        if isinstance(first, NilNode):

            def ev_nil(st, dot, final):
                check(st, final)
                _fail(st, first, "nil is not a command")

            return ev_nil
        if isinstance(first, DotNode):

            def ev_dot(st, dot, final):
                check(st, final)
                return dot

            return ev_dot
        constant = self.constant(first)

        def ev_const(st, dot, final):
            check(st, final)
            return constant(st)

        return ev_const

    def _not_a_function(self, cmd: CommandNode, at: Node | None = None):
        many = len(cmd.args) > 1
        first = cmd.args[0]
        at = at or first

        def check(st, final):
            if many or final is not _NOFINAL:
                _fail(st, at, f"can't give argument to non-function {first}")

        return check

    def constant(self, node):
        """A literal's value as Go's evalEmptyInterface/idealConstant gives it."""
        if isinstance(node, BoolNode):
            value = node.true
        elif isinstance(node, StringNode):
            value = node.text
        elif isinstance(node, NumberNode):
            if node.is_complex:
                value = node.complex_value
            elif (
                node.is_float
                and not (node.text[:2] in ("0x", "0X") and not any(c in node.text for c in "pP"))
                and not node.text.startswith("'")
                and any(c in node.text for c in ".eEpP")
            ):
                value = node.float_value
            elif node.is_int:
                value = node.int_value
            else:

                def overflow(st):
                    _fail(st, node, f"{node.text} overflows int")

                return overflow
        else:
            raise ExecError(f"template: {self.tree.parse_name}: can't evaluate {node}")
        return lambda st: value

    # -- fields and methods --
    def compile_field_chain(self, cmd: CommandNode, node, idents, receiver_fn):
        """ev(st, dot, final) for .A.B.C, $x.A.B or (pipe).A.B (exec.go evalFieldChain).
        ``receiver_fn(st, dot)`` gives the receiver of the first ident (dot if None)."""
        engine = self.engine
        idents = tuple(idents)
        last = idents[-1]
        args = cmd.args
        arg_fns = tuple(self.compile_arg(a, "any") for a in args[1:])
        has_args_static = len(args) > 1

        # In missingkey=default mode, maps and typed structs are walked inline: the
        # common {{.A.B}} costs a dict lookup per ident.
        fast = not has_args_static and engine.missingkey == MISSINGKEY_DEFAULT

        def ev_fields(st, dot, final):
            receiver = dot if receiver_fn is None else receiver_fn(st, dot)
            start = 0
            # Whether the receiver was read from a map[string]interface {} (its static
            # type, named in errors, is then interface {}).
            from_iface = False
            if fast and final is _NOFINAL:
                for name in idents:
                    if isinstance(receiver, dict):
                        from_iface = receiver.__class__ is dict
                        receiver = receiver.get(name, MISSING)
                    elif isinstance(receiver, Struct) and name in receiver._values:
                        from_iface = False
                        receiver = receiver._values[name]
                    elif receiver is not MISSING:
                        break
                    start += 1
                else:
                    return receiver
            for name in idents[start:-1]:
                plain = receiver.__class__ is dict
                receiver = eval_field(st, engine, node, name, receiver, False, (), _NOFINAL, dot, from_iface)
                from_iface = plain
            return eval_field(
                st, engine, node, last, receiver, has_args_static or final is not _NOFINAL, arg_fns, final, dot, from_iface
            )

        return ev_fields

    # -- function calls --
    def compile_call(self, cmd: CommandNode, ident: IdentifierNode):
        name = ident.ident
        engine = self.engine
        args = cmd.args[1:]
        user_fn = engine.funcs.get(name)
        if user_fn is None and name in BUILTIN_NAMES:
            return self.compile_builtin_call(cmd, name, args)
        if user_fn is None:

            def ev_undefined(st, dot, final):
                _fail(st, ident, f"{gb_quote(name)} is not a defined function")

            return ev_undefined
        return self.compile_python_call(cmd, name, user_fn, args)

    def compile_python_call(self, cmd, name, fn, args, arity=None, fixed_kinds=()):
        """A call of a Python function. ``fixed_kinds`` gives the Go parameter kind of
        the leading parameters ("value", "string"); the rest are `any`."""
        arg_fns = tuple(self.compile_arg(a, fixed_kinds[i] if i < len(fixed_kinds) else "any") for i, a in enumerate(args))
        nargs = len(arg_fns)
        if arity is None:
            arity = _arity(fn)
        ident = cmd.args[0]
        check_args = make_arity_check(name, arity, nargs)
        ok_plain, ok_piped = (True, True) if arity is None else (_arity_ok(arity, nargs), _arity_ok(arity, nargs + 1))
        # The piped-in final value is validated against the parameter it lands on.
        final_kind = fixed_kinds[nargs] if nargs < len(fixed_kinds) else ("value" if "value" in fixed_kinds else "any")

        if final_kind == "string":
            convert_final = validate_string
        elif final_kind == "any":
            convert_final = _missing_to_nil
        else:
            convert_final = _keep

        def ev_call(st, dot, final):
            if final is _NOFINAL:
                if not ok_plain:
                    check_args(st, ident, final)
                argv = [a(st, dot) for a in arg_fns]
            else:
                if not ok_piped:
                    check_args(st, ident, final)
                argv = [a(st, dot) for a in arg_fns]
                argv.append(convert_final(st, ident, final))
            try:
                result = fn(*argv)
            except (ExecError, _Break, _Continue, RecursionError):
                raise
            except Exception as exc:  # a Go function's error result, or a recovered panic
                _function_failed(st, cmd, name, exc)
            cls = result.__class__
            if cls is str:
                if len(result) >= STRING_STEP:
                    _account_string(st, len(result))
            elif cls is list or cls is dict:
                st.steps_left -= len(result)
                if st.steps_left < 0:
                    raise st.steps_exceeded()
            return result

        return ev_call

    def compile_builtin_call(self, cmd, name, args):
        nargs = len(args)
        if name in ("and", "or"):
            arg_fns = tuple(self.compile_arg(a, "value") for a in args)
            want_truth = name == "or"
            check_args = make_arity_check(name, (1, True), nargs)
            ident = cmd.args[0]

            def ev_and_or(st, dot, final):
                check_args(st, ident, final)
                value = MISSING
                for arg in arg_fns:
                    value = arg(st, dot)
                    if is_true(gb.indirect_interface(value)) == want_truth:
                        return value
                if final is not _NOFINAL:
                    value = final
                return value

            return ev_and_or
        impl = _BUILTIN_IMPLS.get(name)
        if name == "call":
            callee = str(args[0]) if args else None
            arg_fns = tuple(self.compile_arg(a, "value") for a in args)
            check_args = make_arity_check(name, (1, True), nargs)

            def ev_call_builtin(st, dot, final):
                check_args(st, cmd.args[0], final)
                argv = [a(st, dot) for a in arg_fns]
                if final is not _NOFINAL:
                    argv.append(final)
                callee_name = callee if callee is not None else format_value(final)
                return call_function(st, cmd, name, gb.go_call, [callee_name, *argv])

            return ev_call_builtin
        if name in _REFLECT_BUILTINS:
            arity = _REFLECT_BUILTINS[name]
            return self.compile_python_call(cmd, name, impl, args, arity, ("value",) * (nargs + 1))
        if name == "printf":
            return self.compile_python_call(cmd, name, impl, args, (1, True), ("string",))
        return self.compile_python_call(cmd, name, impl, args, (0, True))

    # -- arguments (exec.go evalArg) --
    def compile_arg(self, node: Node, kind: str):
        """ev(st, dot) for one argument. ``kind``: "value" (a reflect.Value parameter:
        invalid values pass through), "any" (an interface parameter: invalid becomes nil),
        "any_raw" (a chain receiver), or "string"."""
        if isinstance(node, DotNode):
            if kind == "string":
                return lambda st, dot: validate_string(st, node, dot)
            if kind == "any":
                return lambda st, dot: None if dot is MISSING else dot
            return lambda st, dot: dot
        if isinstance(node, NilNode):
            if kind in ("any", "any_raw"):
                return lambda st, dot: None
            if kind == "value":
                return lambda st, dot: MISSING
            target = kind

            def ev_nil_arg(st, dot):
                _fail(st, node, f"cannot assign nil to {target}")

            return ev_nil_arg
        if isinstance(node, (FieldNode, VariableNode, ChainNode, IdentifierNode, PipeNode)):
            if isinstance(node, PipeNode):
                inner = self.compile_pipeline(node)

                def ev(st, dot, final):
                    return inner(st, dot)

            else:
                fake = CommandNode(node.pos, node.tree)
                fake.args = [node]
                ev = self.compile_command(fake)
            if kind == "string":
                return lambda st, dot: validate_string(st, node, ev(st, dot, _NOFINAL))
            if kind == "any":

                def ev_any(st, dot):
                    value = ev(st, dot, _NOFINAL)
                    return None if value is MISSING else value

                return ev_any
            return lambda st, dot: ev(st, dot, _NOFINAL)
        if kind == "string":
            if isinstance(node, StringNode):
                text = node.text
                return lambda st, dot: text

            def ev_bad(st, dot):
                _fail(st, node, f"expected string; found {node}")

            return ev_bad
        constant = self.constant(node)
        return lambda st, dot: constant(st)


def validate_string(st, node, value):
    if isinstance(value, str):
        return value
    if value is MISSING:
        _fail(st, node, "invalid value; expected string")
    type_name = "interface {}" if value is None else go_type_name(value)
    _fail(st, node, f"wrong type for value; expected string; got {type_name}")


def make_arity_check(name, arity, nargs):
    """exec.go evalCall's argument count check; ``at`` is the node errors point to."""
    if arity is None:
        return lambda st, at, final: None
    fixed, variadic = arity

    def check(st, at, final):
        num_in = nargs + (0 if final is _NOFINAL else 1)
        if variadic:
            if num_in < fixed:
                _fail(st, at, f"wrong number of args for {name}: want at least {fixed} got {nargs}")
        elif num_in != fixed:
            _fail(st, at, f"wrong number of args for {name}: want {fixed} got {num_in}")

    return check


def _arity_ok(arity, num_in: int) -> bool:
    fixed, variadic = arity
    return num_in >= fixed if variadic else num_in == fixed


def _missing_to_nil(st, node, value):
    return None if value is MISSING else value


def _keep(st, node, value):
    return value


def _function_failed(st, node, name, exc):
    if isinstance(exc, TemplateError):  # e.g. a function rendering another template, or a limit
        raise exc
    message = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else str(exc)
    if isinstance(exc, MemoryError):
        message = "out of memory"
    _fail(st, node, f"error calling {name}: {message}")


def _account_string(st: State, size: int) -> None:
    """A function returned a string of `size` characters: steps for building it, and the output limit."""
    st.steps_left -= size // STRING_STEP
    if st.steps_left < 0:
        raise st.steps_exceeded()
    if size > st.limits.max_output:
        raise st.output_exceeded()


def call_function(st, node, name, fn, argv):
    try:
        return fn(*argv)
    except (ExecError, _Break, _Continue, RecursionError):
        raise
    except Exception as exc:  # a Go function's error result, or a recovered panic
        _function_failed(st, node, name, exc)


def eval_field(st, engine, node, name, receiver, has_args, arg_fns, final, dot, from_map=False):
    """exec.go evalField. ``from_map``: the receiver was looked up in a plain map, so its
    static Go type (named in errors) is ``interface {}``."""
    if receiver is MISSING:
        if engine.missingkey == MISSINGKEY_ERROR:
            _fail(st, node, f"nil data; no entry for key {gb_quote(name)}")
        return MISSING
    if receiver is None:
        _fail(st, node, f"nil pointer evaluating interface {{}}.{name}")
    if isinstance(receiver, GoValue):
        method = receiver.go_method(name)
        if method is not None:
            argv = [a(st, dot) for a in arg_fns]
            if final is not _NOFINAL:
                argv.append(None if final is MISSING else final)
            check = make_arity_check(name, _arity(method), len(arg_fns))
            check(st, node, final)
            return call_function(st, node, name, method, argv)
        kind = receiver.go_kind
        if kind == "struct":
            found, value = receiver.go_field(name)
            if found:
                if has_args:
                    _fail(st, node, f"{name} has arguments but cannot be invoked as function")
                return value
        elif kind == "ptr":
            if receiver.is_nil and receiver.has_field(name):
                _fail(st, node, f"nil pointer evaluating {receiver.go_type_name()}.{name}")
        elif kind == "map" and getattr(receiver, "go_key_type", "string") == "string":
            return _map_field(st, engine, node, name, receiver, has_args, getattr(receiver, "go_zero", None))
        _fail(st, node, f"can't evaluate field {name} in type {receiver.go_type_name()}")
    if isinstance(receiver, dict):
        return _map_field(st, engine, node, name, receiver, has_args, None)
    type_name = "interface {}" if from_map else go_type_name(receiver)
    _fail(st, node, f"can't evaluate field {name} in type {type_name}")


def _map_field(st, engine, node, name, receiver, has_args, zero):
    if has_args:
        _fail(st, node, f"{name} is not a method but has arguments")
    if name in receiver:
        return receiver[name]
    mode = engine.missingkey
    if mode == MISSINGKEY_ZERO:
        return zero
    if mode == MISSINGKEY_ERROR:
        _fail(st, node, f"map has no entry for key {gb_quote(name)}")
    return MISSING
