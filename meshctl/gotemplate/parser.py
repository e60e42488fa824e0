"""Parser for Go templates: a port of go/src/text/template/parse/{parse,node}.go.

``parse(text, name, func_names)`` returns ``{template name: Tree}`` for the main template
and every ``{{define}}``/``{{block}}`` in it, or raises :class:`ParseError` with Go's
message ``template: NAME:LINE: ...``.
"""

from __future__ import annotations

import re

from .lexer import (
    ITEM_ASSIGN,
    ITEM_BLOCK,
    ITEM_BOOL,
    ITEM_BREAK,
    ITEM_CHAR,
    ITEM_CHAR_CONSTANT,
    ITEM_COMPLEX,
    ITEM_CONTINUE,
    ITEM_DECLARE,
    ITEM_DEFINE,
    ITEM_DOT,
    ITEM_ELSE,
    ITEM_END,
    ITEM_EOF,
    ITEM_ERROR,
    ITEM_FIELD,
    ITEM_IDENTIFIER,
    ITEM_IF,
    ITEM_LEFT_DELIM,
    ITEM_LEFT_PAREN,
    ITEM_NIL,
    ITEM_NUMBER,
    ITEM_PIPE,
    ITEM_RANGE,
    ITEM_RAW_STRING,
    ITEM_RIGHT_DELIM,
    ITEM_RIGHT_PAREN,
    ITEM_SPACE,
    ITEM_STRING,
    ITEM_TEMPLATE,
    ITEM_TEXT,
    ITEM_VARIABLE,
    ITEM_WITH,
    Item,
    Lexer,
)


class ParseError(Exception):
    """A template parse error; ``str()`` is Go's message."""


# ---------------------------------------------------------------------------
# nodes (node.go). Every node has ``pos`` (byte offset) and ``tree``.


class Node:
    __slots__ = ("pos", "tree")

    def __init__(self, pos: int, tree: Tree):
        self.pos, self.tree = pos, tree


class ListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self, pos, tree):
        super().__init__(pos, tree)
        self.nodes: list[Node] = []

    def __str__(self):
        return "".join(str(n) for n in self.nodes)


class TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, pos, tree, text):
        super().__init__(pos, tree)
        self.text = text

    def __str__(self):
        from meshctl.goenc.gofmt import quote_string

        return quote_string(self.text)


class CommentNode(Node):
    __slots__ = ("text",)

    def __init__(self, pos, tree, text):
        super().__init__(pos, tree)
        self.text = text

    def __str__(self):
        return "{{" + self.text + "}}"


class PipeNode(Node):
    __slots__ = ("is_assign", "decl", "cmds")

    def __init__(self, pos, tree):
        super().__init__(pos, tree)
        self.is_assign = False
        self.decl: list[VariableNode] = []
        self.cmds: list[CommandNode] = []

    def __str__(self):
        text = ""
        if self.decl:
            text = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return text + " | ".join(str(c) for c in self.cmds)


class ActionNode(Node):
    __slots__ = ("pipe",)

    def __init__(self, pos, tree, pipe):
        super().__init__(pos, tree)
        self.pipe = pipe

    def __str__(self):
        return "{{" + str(self.pipe) + "}}"


class CommandNode(Node):
    __slots__ = ("args",)

    def __init__(self, pos, tree):
        super().__init__(pos, tree)
        self.args: list[Node] = []

    def __str__(self):
        parts = []
        for arg in self.args:
            parts.append("(" + str(arg) + ")" if isinstance(arg, PipeNode) else str(arg))
        return " ".join(parts)


class IdentifierNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos, tree, ident):
        super().__init__(pos, tree)
        self.ident = ident

    def __str__(self):
        return self.ident


class VariableNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos, tree, ident: str):
        super().__init__(pos, tree)
        self.ident = ident.split(".")

    def __str__(self):
        return ".".join(self.ident)


class DotNode(Node):
    __slots__ = ()

    def __str__(self):
        return "."


class NilNode(Node):
    __slots__ = ()

    def __str__(self):
        return "nil"


class FieldNode(Node):
    __slots__ = ("ident",)

    def __init__(self, pos, tree, ident: str):
        super().__init__(pos, tree)
        self.ident = ident[1:].split(".")

    def __str__(self):
        return "." + ".".join(self.ident)


class ChainNode(Node):
    __slots__ = ("node", "field")

    def __init__(self, pos, tree, node):
        super().__init__(pos, tree)
        self.node = node
        self.field: list[str] = []

    def add(self, field: str):
        if not field or field[0] != ".":
            raise ParseError("no dot in field")
        field = field[1:]
        if field == "":
            raise ParseError("empty field")
        self.field.append(field)

    def __str__(self):
        text = str(self.node)
        if isinstance(self.node, PipeNode):
            text = "(" + text + ")"
        return text + "".join("." + f for f in self.field)


class BoolNode(Node):
    __slots__ = ("true",)

    def __init__(self, pos, tree, true):
        super().__init__(pos, tree)
        self.true = true

    def __str__(self):
        return "true" if self.true else "false"


class NumberNode(Node):
    """A numeric constant; ``value`` is what Go's idealConstant makes of it (int, float,
    complex) or ``None`` with ``overflow`` set when it does not fit an int."""

    __slots__ = ("text", "is_int", "is_uint", "is_float", "is_complex", "int_value", "float_value", "complex_value")

    def __init__(self, pos, tree, text):
        super().__init__(pos, tree)
        self.text = text
        self.is_int = self.is_uint = self.is_float = self.is_complex = False
        self.int_value = 0
        self.float_value = 0.0
        self.complex_value = 0j

    def __str__(self):
        return self.text


class StringNode(Node):
    __slots__ = ("quoted", "text")

    def __init__(self, pos, tree, quoted, text):
        super().__init__(pos, tree)
        self.quoted, self.text = quoted, text

    def __str__(self):
        return self.quoted


class EndNode(Node):
    __slots__ = ()

    def __str__(self):
        return "{{end}}"


class ElseNode(Node):
    __slots__ = ()

    def __str__(self):
        return "{{else}}"


class BranchNode(Node):
    """if / range / with."""

    __slots__ = ("pipe", "list", "else_list")
    keyword = ""

    def __init__(self, pos, tree, pipe, list_, else_list):
        super().__init__(pos, tree)
        self.pipe, self.list, self.else_list = pipe, list_, else_list

    def __str__(self):
        text = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            text += "{{else}}" + str(self.else_list)
        return text + "{{end}}"


class IfNode(BranchNode):
    __slots__ = ()
    keyword = "if"


class RangeNode(BranchNode):
    __slots__ = ()
    keyword = "range"


class WithNode(BranchNode):
    __slots__ = ()
    keyword = "with"


class BreakNode(Node):
    __slots__ = ()

    def __str__(self):
        return "{{break}}"


class ContinueNode(BreakNode):
    __slots__ = ()

    def __str__(self):
        return "{{continue}}"


class TemplateNode(Node):
    __slots__ = ("name", "pipe")

    def __init__(self, pos, tree, name, pipe):
        super().__init__(pos, tree)
        self.name, self.pipe = name, pipe

    def __str__(self):
        from meshctl.goenc.gofmt import quote_string

        if self.pipe is None:
            return "{{template " + quote_string(self.name) + "}}"
        return "{{template " + quote_string(self.name) + " " + str(self.pipe) + "}}"


def is_empty_tree(node) -> bool:
    """parse.IsEmptyTree: only whitespace text and comments."""
    if node is None or isinstance(node, CommentNode):
        return True
    if isinstance(node, ListNode):
        return all(is_empty_tree(n) for n in node.nodes)
    if isinstance(node, TextNode):
        return node.text.strip(" \t\n\r\v\f\x85\xa0") == ""
    return False


# ---------------------------------------------------------------------------
# string and number literals


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote(text: str) -> str:
    """strconv.Unquote for "..." and `...` literals; raises ValueError("invalid syntax")."""
    if len(text) < 2 or text[0] != text[-1]:
        raise ValueError("invalid syntax")
    quote = text[0]
    body = text[1:-1]
    if quote == "`":
        if "`" in body:
            raise ValueError("invalid syntax")
        return body.replace("\r", "")
    if quote not in "\"'":
        raise ValueError("invalid syntax")
    if "\\" not in body and quote not in body and "\n" not in body:
        if quote == "'" and len(body) != 1:
            raise ValueError("invalid syntax")
        return body
    out = []
    i = 0
    while i < len(body):
        ch, i = unquote_char(body, i, quote)
        out.append(ch)
    result = "".join(out)
    if quote == "'" and len(out) != 1:
        raise ValueError("invalid syntax")
    if any("\udc80" <= ch <= "\udcff" for ch in out):
        # \x and octal escapes are bytes: join those that form UTF-8 characters; the
        # others stay as surrogate escapes (written back as the raw bytes).
        result = result.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    return result


def unquote_char(s: str, i: int, quote: str) -> tuple[str, int]:
    """strconv.UnquoteChar: one (possibly escaped) character at s[i]."""
    ch = s[i]
    if ch == quote and quote in "'\"":
        raise ValueError("invalid syntax")
    if ch == "\n":
        raise ValueError("invalid syntax")
    if ch != "\\":
        return ch, i + 1
    if i + 1 >= len(s):
        raise ValueError("invalid syntax")
    esc = s[i + 1]
    i += 2
    if esc in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[esc], i
    if esc in "xuU":
        size = {"x": 2, "u": 4, "U": 8}[esc]
        digits = s[i : i + size]
        if len(digits) < size or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError("invalid syntax")
        value = int(digits, 16)
        if esc == "x":
            # A byte; bytes >= 0x80 are not valid UTF-8 on their own.
            return (chr(value) if value < 0x80 else chr(0xDC00 + value)), i + size
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise ValueError("invalid syntax")
        return chr(value), i + size
    if "0" <= esc <= "7":
        digits = s[i - 1 : i + 2]
        if len(digits) < 3 or not all("0" <= c <= "7" for c in digits):
            raise ValueError("invalid syntax")
        value = int(digits, 8)
        if value > 255:
            raise ValueError("invalid syntax")
        return (chr(value) if value < 0x80 else chr(0xDC00 + value)), i + 2
    if esc in "'\"":
        if esc != quote:
            raise ValueError("invalid syntax")
        return esc, i
    raise ValueError("invalid syntax")


_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1
_BASE_DIGITS = {16: "0123456789abcdefABCDEF", 8: "01234567", 2: "01", 10: "0123456789"}
_DECIMAL_FLOAT_RE = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_HEX_FLOAT_RE = re.compile(r"0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+\Z")


def _underscore_ok(s: str) -> bool:
    """strconv underscoreOK: "_" only between digits, or between a base prefix and a digit."""
    if s[:1] in ("+", "-"):
        s = s[1:]
    saw = "^"
    i = 0
    hex_digits = False
    if len(s) >= 2 and s[0] == "0" and s[1] in "bBoOxX":
        i, saw, hex_digits = 2, "0", s[1] in "xX"
    for ch in s[i:]:
        if "0" <= ch <= "9" or (hex_digits and ch in "abcdefABCDEF"):
            saw = "0"
        elif ch == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _parse_go_int(text: str):
    """strconv.ParseInt(text, 0, 64) without the range check: None if not an integer."""
    if "_" in text and not _underscore_ok(text):
        return None
    sign = -1 if text[:1] == "-" else 1
    body = text[1:] if text[:1] in ("+", "-") else text
    body = body.replace("_", "")
    base = 10
    if len(body) >= 2 and body[0] == "0" and body[1] in "xXoObB":
        base = {"x": 16, "o": 8, "b": 2}[body[1].lower()]
        body = body[2:]
    elif len(body) > 1 and body[0] == "0":
        base = 8  # a leading 0 means octal
    if not body or any(ch not in _BASE_DIGITS[base] for ch in body):
        return None
    return sign * int(body, base)


def _parse_go_float(text: str):
    """strconv.ParseFloat(text, 64) for what the lexer can produce; None if invalid or
    out of range."""
    if "_" in text:
        if not _underscore_ok(text):
            return None
        text = text.replace("_", "")
    sign = text[0] if text[:1] in ("+", "-") else ""
    body = text[len(sign) :]
    try:
        if _HEX_FLOAT_RE.match(body):
            value = float.fromhex(sign + body)
        elif _DECIMAL_FLOAT_RE.match(body):
            value = float(sign + body)
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return None if value in (float("inf"), float("-inf")) else value


def _new_number(node: NumberNode, typ: int):
    """node.go newNumber; raises ValueError with Go's message."""
    text = node.text
    if typ == ITEM_CHAR_CONSTANT:
        try:
            ch, rest = unquote_char(text[1:], 0, "'")
        except ValueError:
            raise ValueError("invalid syntax") from None
        if text[1:][rest:] != "'":
            raise ValueError("malformed character constant: " + text)
        code = ord(ch) if not (0xDC80 <= ord(ch) <= 0xDCFF) else ord(ch) - 0xDC00
        node.is_int = node.is_uint = node.is_float = True
        node.int_value = code
        node.float_value = float(code)
        return
    if typ == ITEM_COMPLEX:
        match = re.match(r"([+-]?[^+-]+(?:[eE][+-]?\d+)?)([+-].*)i\Z", text)
        real = _parse_go_float(match.group(1)) if match else None
        imag = _parse_go_float(match.group(2)) if match else None
        if real is None or imag is None:
            raise ValueError("expected integer")
        node.is_complex = True
        node.complex_value = complex(real, imag)
        _simplify_complex(node)
        return
    if text.endswith("i"):
        imag = _parse_go_float(text[:-1])
        if imag is not None:
            node.is_complex = True
            node.complex_value = complex(0, imag)
            _simplify_complex(node)
            return
    value = _parse_go_int(text)
    if value is not None:
        if 0 <= value <= _UINT64_MAX and text[0] not in "+-":
            node.is_uint = True
        if _INT64_MIN <= value <= _INT64_MAX:
            node.is_int = True
            node.int_value = value
            if value == 0:
                node.is_uint = True
        elif node.is_uint:
            node.int_value = value
    if node.is_int or node.is_uint:
        node.is_float = True
        node.float_value = float(value)
    else:
        f = _parse_go_float(text)
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise ValueError("integer overflow: " + _quote(text))
            node.is_float = True
            node.float_value = f
            if f == int(f) if f == f and f not in (float("inf"), float("-inf")) else False:
                as_int = int(f)
                if _INT64_MIN <= as_int <= _INT64_MAX:
                    node.is_int = True
                    node.int_value = as_int
                if 0 <= as_int <= _UINT64_MAX:
                    node.is_uint = True
                    if not node.is_int:
                        node.int_value = as_int
    if not (node.is_int or node.is_uint or node.is_float):
        raise ValueError("illegal number syntax: " + _quote(text))


def _simplify_complex(node: NumberNode):
    c = node.complex_value
    if c.imag == 0:
        node.is_float = True
        node.float_value = c.real
        if c.real == int(c.real):
            node.is_int = _INT64_MIN <= int(c.real) <= _INT64_MAX
            node.int_value = int(c.real)
            node.is_uint = 0 <= int(c.real) <= _UINT64_MAX


def _quote(s: str) -> str:
    from meshctl.goenc.gofmt import quote_string

    return quote_string(s)


# ---------------------------------------------------------------------------
# the parser (parse.go)


class Tree:
    """One parsed template: ``name``, ``root`` (ListNode), ``text`` and ``parse_name``."""

    def __init__(self, name: str, parse_name: str, text: str):
        self.name = name
        self.parse_name = parse_name
        self.text = text
        self.root: ListNode | None = None

    def error_context(self, node: Node) -> tuple[str, str]:
        """parse.Tree.ErrorContext: ("NAME:LINE:COL", node text)."""
        pos = node.pos
        text = self.text[:pos]
        newline = text.rfind("\n")
        col = pos if newline == -1 else pos - (newline + 1)
        line = 1 + text.count("\n")
        return f"{self.parse_name}:{line}:{col}", str(node)


class _Parser:
    def __init__(self, tree: Tree, items: list[Item], line_at, funcs, tree_set: dict):
        self.tree = tree
        self.line_at = line_at
        # Go's parser reads past the end as EOF: pad with copies of the last item.
        self.items = items + [items[-1]] * 4
        self.index = 0
        self.furthest = 0
        self.funcs = funcs
        self.tree_set = tree_set
        self.vars = ["$"]
        self.range_depth = 0
        self.action_line = 0

    # -- token access --
    def next(self) -> Item:
        item = self.items[self.index]
        self.index += 1
        if self.index > self.furthest:
            self.furthest = self.index
        return item

    def backup(self, n: int = 1):
        self.index -= n

    def peek(self) -> Item:
        item = self.items[self.index]
        if self.index + 1 > self.furthest:
            self.furthest = self.index + 1
        return item

    def next_non_space(self) -> Item:
        while True:
            item = self.next()
            if item.typ != ITEM_SPACE:
                return item

    def peek_non_space(self) -> Item:
        item = self.next_non_space()
        self.backup()
        return item

    def sub_tree(self, tree: Tree):
        """Parse a {{define}}/{{block}} body with fresh variables (Go's startParse)."""
        saved = self.tree, self.vars, self.range_depth, self.action_line
        self.tree, self.vars, self.range_depth, self.action_line = tree, ["$"], 0, 0
        return saved

    def end_sub_tree(self, saved):
        self.tree, self.vars, self.range_depth, self.action_line = saved

    # -- errors --
    def errorf(self, msg: str):
        # Go reports the line of the furthest token read (t.token[0]).
        line = self.line_at(self.items[max(self.furthest - 1, 0)].pos)
        raise ParseError(f"template: {self.tree.parse_name}:{line}: {msg}")

    def unexpected(self, token: Item, context: str):
        if token.typ == ITEM_ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != self.line_at(token.pos):
                extra = f" in action started at {self.tree.parse_name}:{self.action_line}"
                if token.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            self.errorf(f"{token}{extra}")
        self.errorf(f"unexpected {token} in {context}")

    def expect(self, expected: int, context: str) -> Item:
        token = self.next_non_space()
        if token.typ != expected:
            self.unexpected(token, context)
        return token

    def expect_one_of(self, a: int, b: int, context: str) -> Item:
        token = self.next_non_space()
        if token.typ not in (a, b):
            self.unexpected(token, context)
        return token

    # -- structure --
    def parse_main(self):
        tree = self.tree
        tree.root = ListNode(self.peek().pos, tree)
        while self.peek().typ != ITEM_EOF:
            if self.peek().typ == ITEM_LEFT_DELIM:
                delim = self.next()
                if self.next_non_space().typ == ITEM_DEFINE:
                    saved = self.sub_tree(Tree("definition", tree.parse_name, tree.text))
                    self.parse_definition()
                    self.end_sub_tree(saved)
                    continue
                self.index = self._index_of(delim)
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                self.errorf(f"unexpected {node}")
            tree.root.nodes.append(node)
        self.add()

    def _index_of(self, item: Item) -> int:
        i = self.index
        while self.items[i] is not item:
            i -= 1
        return i

    def add(self):
        tree = self.tree
        existing = self.tree_set.get(tree.name)
        if existing is None or is_empty_tree(existing.root):
            self.tree_set[tree.name] = tree
            return
        if not is_empty_tree(tree.root):
            self.errorf(f"template: multiple definition of template {_quote(tree.name)}")

    def parse_definition(self):
        context = "define clause"
        name = self.expect_one_of(ITEM_STRING, ITEM_RAW_STRING, context)
        try:
            self.tree.name = unquote(name.val)
        except ValueError as exc:
            self.errorf(str(exc))
        self.expect(ITEM_RIGHT_DELIM, context)
        self.tree.root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        self.add()

    def item_list(self):
        lst = ListNode(self.peek_non_space().pos, self.tree)
        while self.peek_non_space().typ != ITEM_EOF:
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                return lst, node
            lst.nodes.append(node)
        self.errorf("unexpected EOF")

    def text_or_action(self):
        token = self.next_non_space()
        if token.typ == ITEM_TEXT:
            return TextNode(token.pos, self.tree, token.val)
        if token.typ == ITEM_LEFT_DELIM:
            self.action_line = self.line_at(token.pos)
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(token, "input")

    def action(self):
        token = self.next_non_space()
        typ = token.typ
        if typ == ITEM_BLOCK:
            return self.block_control()
        if typ == ITEM_BREAK:
            return self.break_control(token, BreakNode, "{{break}}")
        if typ == ITEM_CONTINUE:
            return self.break_control(token, ContinueNode, "{{continue}}")
        if typ == ITEM_ELSE:
            return self.else_control()
        if typ == ITEM_END:
            return EndNode(self.expect(ITEM_RIGHT_DELIM, "end").pos, self.tree)
        if typ == ITEM_IF:
            return IfNode(*self.parse_control("if"))
        if typ == ITEM_RANGE:
            return RangeNode(*self.parse_control("range"))
        if typ == ITEM_TEMPLATE:
            return self.template_control()
        if typ == ITEM_WITH:
            return WithNode(*self.parse_control("with"))
        self.backup()
        token = self.peek()
        return ActionNode(token.pos, self.tree, self.pipeline("command", ITEM_RIGHT_DELIM))

    def break_control(self, token: Item, cls, text: str):
        nxt = self.next_non_space()
        if nxt.typ != ITEM_RIGHT_DELIM:
            self.unexpected(nxt, text)
        if self.range_depth == 0:
            self.errorf(f"{text} outside {{{{range}}}}")
        return cls(token.pos, self.tree)

    def else_control(self):
        peek = self.peek_non_space()
        if peek.typ in (ITEM_IF, ITEM_WITH):
            return ElseNode(peek.pos, self.tree)
        token = self.expect(ITEM_RIGHT_DELIM, "else")
        return ElseNode(token.pos, self.tree)

    def parse_control(self, context: str):
        nvars = len(self.vars)
        try:
            pipe = self.pipeline(context, ITEM_RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            lst, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list = None
            if isinstance(nxt, ElseNode):
                if context == "if" and self.peek().typ == ITEM_IF:
                    self.next()
                    else_list = ListNode(nxt.pos, self.tree)
                    else_list.nodes.append(IfNode(*self.parse_control("if")))
                elif context == "with" and self.peek().typ == ITEM_WITH:
                    self.next()
                    else_list = ListNode(nxt.pos, self.tree)
                    else_list.nodes.append(WithNode(*self.parse_control("with")))
                else:
                    else_list, nxt = self.item_list()
                    if not isinstance(nxt, EndNode):
                        self.errorf(f"expected end; found {nxt}")
            return pipe.pos, self.tree, pipe, lst, else_list
        finally:
            del self.vars[nvars:]

    def block_control(self):
        context = "block clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = self.pipeline(context, ITEM_RIGHT_DELIM)
        saved = self.sub_tree(Tree(name, self.tree.parse_name, self.tree.text))
        self.tree.root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        self.add()
        self.end_sub_tree(saved)
        return TemplateNode(token.pos, self.tree, name, pipe)

    def template_control(self):
        context = "template clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = None
        if self.next_non_space().typ != ITEM_RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, ITEM_RIGHT_DELIM)
        return TemplateNode(token.pos, self.tree, name, pipe)

    def parse_template_name(self, token: Item, context: str) -> str:
        if token.typ in (ITEM_STRING, ITEM_RAW_STRING):
            try:
                return unquote(token.val)
            except ValueError as exc:
                self.errorf(str(exc))
        self.unexpected(token, context)

    def pipeline(self, context: str, end: int) -> PipeNode:
        token = self.peek_non_space()
        pipe = PipeNode(token.pos, self.tree)
        while True:  # "decls" label
            v = self.peek_non_space()
            if v.typ != ITEM_VARIABLE:
                break
            self.next_non_space()
            token_after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (ITEM_ASSIGN, ITEM_DECLARE):
                pipe.is_assign = nxt.typ == ITEM_ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, self.tree, v.val))
                self.vars.append(v.val)
                break
            if nxt.typ == ITEM_CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, self.tree, v.val))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (ITEM_VARIABLE, ITEM_RIGHT_DELIM, ITEM_RIGHT_PAREN):
                        continue
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            # Not a declaration: push the variable back.
            self.index = self._index_of(v)
            break
        while True:
            token = self.next_non_space()
            if token.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if token.typ in (
                ITEM_BOOL,
                ITEM_CHAR_CONSTANT,
                ITEM_COMPLEX,
                ITEM_DOT,
                ITEM_FIELD,
                ITEM_IDENTIFIER,
                ITEM_NUMBER,
                ITEM_NIL,
                ITEM_RAW_STRING,
                ITEM_STRING,
                ITEM_VARIABLE,
                ITEM_LEFT_PAREN,
            ):
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(token, context)

    def check_pipeline(self, pipe: PipeNode, context: str):
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for i, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos, self.tree)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self.next()
            if token.typ == ITEM_SPACE:
                continue
            if token.typ in (ITEM_RIGHT_DELIM, ITEM_RIGHT_PAREN):
                self.backup()
            elif token.typ != ITEM_PIPE:
                self.unexpected(token, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self):
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == ITEM_FIELD:
            chain = ChainNode(self.peek().pos, self.tree, node)
            while self.peek().typ == ITEM_FIELD:
                try:
                    chain.add(self.next().val)
                except ParseError as exc:
                    self.errorf(str(exc))
            if isinstance(node, FieldNode):
                node = FieldNode(chain.pos, self.tree, str(chain))
            elif isinstance(node, VariableNode):
                node = VariableNode(chain.pos, self.tree, str(chain))
            elif isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                self.errorf(f"unexpected . after term {_quote(str(node))}")
            else:
                node = chain
        return node

    def term(self):
        token = self.next_non_space()
        typ = token.typ
        if typ == ITEM_IDENTIFIER:
            if token.val not in self.funcs:
                self.errorf(f"function {_quote(token.val)} not defined")
            return IdentifierNode(token.pos, self.tree, token.val)
        if typ == ITEM_DOT:
            return DotNode(token.pos, self.tree)
        if typ == ITEM_NIL:
            return NilNode(token.pos, self.tree)
        if typ == ITEM_VARIABLE:
            node = VariableNode(token.pos, self.tree, token.val)
            if node.ident[0] not in self.vars:
                self.errorf(f"undefined variable {_quote(node.ident[0])}")
            return node
        if typ == ITEM_FIELD:
            return FieldNode(token.pos, self.tree, token.val)
        if typ == ITEM_BOOL:
            return BoolNode(token.pos, self.tree, token.val == "true")
        if typ in (ITEM_CHAR_CONSTANT, ITEM_COMPLEX, ITEM_NUMBER):
            node = NumberNode(token.pos, self.tree, token.val)
            try:
                _new_number(node, typ)
            except ValueError as exc:
                self.errorf(str(exc))
            return node
        if typ == ITEM_LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", ITEM_RIGHT_PAREN)
        if typ in (ITEM_STRING, ITEM_RAW_STRING):
            try:
                text = unquote(token.val)
            except ValueError as exc:
                self.errorf(str(exc))
            return StringNode(token.pos, self.tree, token.val, text)
        self.backup()
        return None


def parse(text: str, name: str, func_names) -> dict[str, Tree]:
    """Parse ``text`` as template ``name``; returns all trees it defines (parse.Parse).

    ``func_names`` is the set of known function names (builtins included).
    """
    lexer = Lexer(text)
    items = lexer.run()
    tree_set: dict[str, Tree] = {}
    tree = Tree(name, name, text)
    parser = _Parser(tree, items, lexer.line_at, func_names, tree_set)
    try:
        parser.parse_main()
    except RecursionError:
        raise ParseError(f"template: {name}: max expression depth exceeded") from None
    return tree_set
