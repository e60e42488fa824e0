"""Lexer for Go templates: a port of go/src/text/template/parse/lex.go.

Produces a list of :class:`Item` (type, position, value); a lexing error becomes a final
ITEM_ERROR item whose value is the message, exactly as Go's lexer does.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# Item types. Keywords sort after ITEM_KEYWORD (Go's itemKeyword) so that Item.__str__
# can print them as <name>.
(
    ITEM_ERROR,
    ITEM_BOOL,
    ITEM_CHAR,
    ITEM_CHAR_CONSTANT,
    ITEM_COMMENT,
    ITEM_COMPLEX,
    ITEM_ASSIGN,
    ITEM_DECLARE,
    ITEM_EOF,
    ITEM_FIELD,
    ITEM_IDENTIFIER,
    ITEM_LEFT_DELIM,
    ITEM_LEFT_PAREN,
    ITEM_NUMBER,
    ITEM_PIPE,
    ITEM_RAW_STRING,
    ITEM_RIGHT_DELIM,
    ITEM_RIGHT_PAREN,
    ITEM_SPACE,
    ITEM_STRING,
    ITEM_TEXT,
    ITEM_VARIABLE,
    ITEM_KEYWORD,
    ITEM_BLOCK,
    ITEM_BREAK,
    ITEM_CONTINUE,
    ITEM_DOT,
    ITEM_DEFINE,
    ITEM_ELSE,
    ITEM_END,
    ITEM_IF,
    ITEM_NIL,
    ITEM_RANGE,
    ITEM_TEMPLATE,
    ITEM_WITH,
) = range(35)

KEYWORDS = {
    ".": ITEM_DOT,
    "block": ITEM_BLOCK,
    "break": ITEM_BREAK,
    "continue": ITEM_CONTINUE,
    "define": ITEM_DEFINE,
    "else": ITEM_ELSE,
    "end": ITEM_END,
    "if": ITEM_IF,
    "range": ITEM_RANGE,
    "nil": ITEM_NIL,
    "template": ITEM_TEMPLATE,
    "with": ITEM_WITH,
}

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
SPACE_CHARS = " \t\r\n"


_SPACE_RE = re.compile(r"[ \t\r\n]*")
_ASCII_WORD_RE = re.compile(r"[A-Za-z0-9_]+")
# The rest of a "..." literal: no newline; any escaped character but a newline.
_QUOTED_RE = re.compile(r'(?:[^"\\\n]|\\[^\n])*"')


# Tokens an action usually consists of. A word must end at a terminator (lex.go
# atTerminator) to be taken here; otherwise the slow path reports Go's error.
_TERMINATOR = r"(?=[ \t\r\n.,|:)(]|\}\}|\Z)"
_FAST_TOKEN_RE = re.compile(
    r"(?P<delim>[ \t\r\n]-\}\}|\}\})"
    r"|(?P<space>[ \t\r\n]+?(?=[ \t\r\n]-\}\})|[ \t\r\n]+)"
    r"|(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)" + _TERMINATOR
    + r"|(?P<dot>\.)(?=[ \t\r\n,|:)(]|\}\}|\Z)"
    r"|(?P<variable>\$[A-Za-z0-9_]*)" + _TERMINATOR
    + r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)" + _TERMINATOR
    + r'|(?P<string>"(?:[^"\\\n]|\\[^\n])*")'
    r"|(?P<raw>`[^`]*`)"
    r"|(?P<number>[0-9]+)(?=[ \t\r\n|)]|\}\})"
    r"|(?P<declare>:=)"
    r"|(?P<punct>[|(),=])"
)
_FAST_TYPES = {
    "space": ITEM_SPACE,
    "field": ITEM_FIELD,
    "dot": ITEM_DOT,
    "variable": ITEM_VARIABLE,
    "string": ITEM_STRING,
    "raw": ITEM_RAW_STRING,
    "number": ITEM_NUMBER,
    "declare": ITEM_DECLARE,
}
_PUNCT_TYPES = {"|": ITEM_PIPE, ",": ITEM_CHAR, "=": ITEM_ASSIGN}


class Item:
    """A token: type, byte offset and text (the line comes from Lexer.line_at(pos))."""

    __slots__ = ("typ", "pos", "val")

    def __init__(self, typ: int, pos: int, val: str):
        self.typ, self.pos, self.val = typ, pos, val

    def __str__(self) -> str:
        # lex.go item.String
        from meshctl.goenc.gofmt import quote_string

        if self.typ == ITEM_EOF:
            return "EOF"
        if self.typ == ITEM_ERROR:
            return self.val
        if self.typ > ITEM_KEYWORD:
            return "<" + self.val + ">"
        if len(self.val) > 10:
            return quote_string(self.val[:10]) + "..."
        return quote_string(self.val)

    def __repr__(self) -> str:
        return f"Item({self.typ}, {self.pos}, {self.val!r})"


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or (ch.isdigit() and ch.isdecimal()) if ch else False


def _has_left_trim(s: str, i: int) -> bool:
    return len(s) >= i + 2 and s[i] == "-" and s[i + 1] in SPACE_CHARS


def _has_right_trim(s: str, i: int) -> bool:
    return len(s) >= i + 2 and s[i] in SPACE_CHARS and s[i + 1] == "-"


def _describe(ch: str) -> str:
    """Go's %#U: U+0023 '#'."""
    code = ord(ch)
    text = "U+%04X" % code
    if ch.isprintable():
        text += " '" + ch + "'"
    return text


class Lexer:
    """Scans the whole input eagerly into ``items``."""

    def __init__(self, text: str, break_ok: bool = True, continue_ok: bool = True):
        self.input = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.items: list[Item] = []
        self.break_ok = break_ok
        self.continue_ok = continue_ok
        self._newlines: list[int] | None = None

    def line_at(self, pos: int) -> int:
        """The line of byte ``pos`` (an item's line is Go's startLine: its first byte's)."""
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.input)]
        return bisect_right(self._newlines, pos - 1) + 1

    # -- primitives --
    def next(self) -> str:
        if self.pos >= len(self.input):
            self.pos += 1  # so that backup() is symmetric at EOF
            return ""
        ch = self.input[self.pos]
        self.pos += 1
        return ch

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def backup(self):
        self.pos -= 1

    def emit(self, typ: int):
        self.items.append(Item(typ, self.start, self.input[self.start : self.pos]))
        self.start = self.pos

    def ignore(self):
        self.start = self.pos

    def accept(self, valid: str) -> bool:
        ch = self.next()
        if ch and ch in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str):
        while True:
            ch = self.next()
            if not ch or ch not in valid:
                break
        self.backup()

    def errorf(self, msg: str):
        self.items.append(Item(ITEM_ERROR, self.start, msg))
        return None

    def at_right_delim(self) -> tuple[bool, bool]:
        s = self.input
        pos = self.pos
        ch = s[pos : pos + 1]
        if ch == "}":
            return (True, False) if s.startswith(RIGHT_DELIM, pos) else (False, False)
        if ch in SPACE_CHARS and ch and s.startswith("-" + RIGHT_DELIM, pos + 1):
            return True, True
        return False, False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if ch == "" or ch in SPACE_CHARS or ch in ".,|:)(":
            return True
        return self.input.startswith(RIGHT_DELIM, self.pos)

    # -- states --
    def run(self) -> list[Item]:
        state = self.lex_text
        while state is not None:
            state = state()
        return self.items

    def lex_text(self):
        s = self.input
        x = s.find(LEFT_DELIM, self.pos)
        if x >= 0:
            self.pos = x
            trim = 0
            if _has_left_trim(s, x + len(LEFT_DELIM)):
                segment = s[self.start : self.pos]
                trim = len(segment) - len(segment.rstrip(SPACE_CHARS))
            self.pos -= trim
            if self.pos > self.start:
                self.emit(ITEM_TEXT)
            self.pos += trim
            self.ignore()
            return self.lex_left_delim
        self.pos = len(s)
        if self.pos > self.start:
            self.emit(ITEM_TEXT)
        self.emit(ITEM_EOF)
        return None

    def lex_left_delim(self):
        self.pos += len(LEFT_DELIM)
        trim = _has_left_trim(self.input, self.pos)
        after = 2 if trim else 0
        if self.input.startswith(LEFT_COMMENT, self.pos + after):
            self.pos += after
            self.ignore()
            return self.lex_comment
        self.emit(ITEM_LEFT_DELIM)
        self.pos += after
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self):
        self.pos += len(LEFT_COMMENT)
        x = self.input.find(RIGHT_COMMENT, self.pos)
        if x < 0:
            return self.errorf("unclosed comment")
        self.pos = x + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(RIGHT_DELIM)
        if trim:
            self.pos = _SPACE_RE.match(self.input, self.pos).end()
        self.ignore()
        return self.lex_text

    def lex_right_delim(self):
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.ignore()
        self.pos += len(RIGHT_DELIM)
        self.emit(ITEM_RIGHT_DELIM)
        if trim:
            self.pos = _SPACE_RE.match(self.input, self.pos).end()
            self.ignore()
        return self.lex_text

    def lex_inside_action(self):
        """The common tokens of an action, matched by one regex; anything else (and every
        error) goes through ``inside_action_step``, the port of Go's lexInsideAction."""
        s = self.input
        append = self.items.append
        pos = self.pos
        while True:
            match = _FAST_TOKEN_RE.match(s, pos)
            if match is None:
                break
            kind = match.lastgroup
            text = match.group()
            if kind == "delim":
                if self.paren_depth:
                    break
                self.pos = self.start = pos
                return self.lex_right_delim
            typ = _FAST_TYPES.get(kind)
            if typ is None:
                if kind == "word":
                    typ = self.word_type(text)
                elif text == "(":
                    self.paren_depth += 1
                    typ = ITEM_LEFT_PAREN
                elif text == ")":
                    if not self.paren_depth:
                        break
                    self.paren_depth -= 1
                    typ = ITEM_RIGHT_PAREN
                else:
                    typ = _PUNCT_TYPES[text]
            append(Item(typ, pos, text))
            pos = match.end()
        self.pos = self.start = pos
        return self.inside_action_step

    def inside_action_step(self):
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.errorf("unclosed left paren")
        ch = self.next()
        if ch == "":
            return self.errorf("unclosed action")
        if ch in SPACE_CHARS:
            self.backup()
            return self.lex_space
        if ch == "=":
            self.emit(ITEM_ASSIGN)
        elif ch == ":":
            if self.next() != "=":
                return self.errorf("expected :=")
            self.emit(ITEM_DECLARE)
        elif ch == "|":
            self.emit(ITEM_PIPE)
        elif ch == '"':
            return self.lex_quote()
        elif ch == "`":
            return self.lex_raw_quote()
        elif ch == "$":
            return self.lex_variable()
        elif ch == "'":
            return self.lex_char()
        elif ch == "." and self.pos < len(self.input) and not ("0" <= self.input[self.pos] <= "9"):
            return self.lex_field_or_variable(ITEM_FIELD)
        elif ch in "+-." or "0" <= ch <= "9":
            self.backup()
            return self.lex_number()
        elif _is_alnum(ch):
            self.backup()
            return self.lex_identifier()
        elif ch == "(":
            self.paren_depth += 1
            self.emit(ITEM_LEFT_PAREN)
        elif ch == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf("unexpected right paren")
            self.emit(ITEM_RIGHT_PAREN)
        elif ord(ch) < 0x80 and ch.isprintable():
            self.emit(ITEM_CHAR)
        else:
            return self.errorf("unrecognized character in action: " + _describe(ch))
        return self.lex_inside_action

    def lex_space(self):
        match = _SPACE_RE.match(self.input, self.pos)
        num = match.end() - self.pos
        self.pos = match.end()
        # A trim-marked closing delimiter has a minus after a space.
        if _has_right_trim(self.input, self.pos - 1) and self.input.startswith(RIGHT_DELIM, self.pos + 1):
            self.backup()
            if num == 1:
                return self.lex_right_delim
        self.emit(ITEM_SPACE)
        return self.lex_inside_action

    def lex_identifier(self):
        match = _ASCII_WORD_RE.match(self.input, self.pos)
        if match and not _is_alnum(self.peek_at(match.end())):
            self.pos = match.end()
            ch = self.peek()
            return self.finish_identifier(ch)
        while True:
            ch = self.next()
            if not _is_alnum(ch):
                self.backup()
                return self.finish_identifier(ch)

    def peek_at(self, pos: int) -> str:
        return self.input[pos] if pos < len(self.input) else ""

    def finish_identifier(self, ch: str):
        word = self.input[self.start : self.pos]
        if not self.at_terminator():
            return self.errorf("bad character " + _describe(ch))
        self.emit(ITEM_FIELD if word[0] == "." else self.word_type(word))
        return self.lex_inside_action

    def word_type(self, word: str) -> int:
        """A keyword, a bool, or an identifier (break/continue only where allowed)."""
        item = KEYWORDS.get(word)
        if item is not None and item > ITEM_KEYWORD:
            if (item == ITEM_BREAK and not self.break_ok) or (item == ITEM_CONTINUE and not self.continue_ok):
                return ITEM_IDENTIFIER
            return item
        if word in ("true", "false"):
            return ITEM_BOOL
        return ITEM_IDENTIFIER

    def lex_variable(self):
        if self.at_terminator():
            self.emit(ITEM_VARIABLE)
            return self.lex_inside_action
        return self.lex_field_or_variable(ITEM_VARIABLE)

    def lex_field_or_variable(self, typ: int):
        if self.at_terminator():
            self.emit(ITEM_VARIABLE if typ == ITEM_VARIABLE else ITEM_DOT)
            return self.lex_inside_action
        match = _ASCII_WORD_RE.match(self.input, self.pos)
        if match and not _is_alnum(self.peek_at(match.end())):
            self.pos = match.end()
            if self.at_terminator():
                self.emit(typ)
                return self.lex_inside_action
        while True:
            ch = self.next()
            if not _is_alnum(ch):
                self.backup()
                break
        if not self.at_terminator():
            return self.errorf("bad character " + _describe(ch) if ch else "bad character U+FFFFFFFF")
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self):
        return self.scan_quoted("'", ITEM_CHAR_CONSTANT, "unterminated character constant")

    def lex_number(self):
        if not self.scan_number():
            return self.errorf("bad number syntax: " + _go_quote(self.input[self.start : self.pos]))
        sign = self.peek()
        if sign in ("+", "-") and sign:
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                return self.errorf("bad number syntax: " + _go_quote(self.input[self.start : self.pos]))
            self.emit(ITEM_COMPLEX)
        else:
            self.emit(ITEM_NUMBER)
        return self.lex_inside_action

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _is_alnum(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self):
        match = _QUOTED_RE.match(self.input, self.pos)
        if match:
            self.pos = match.end()
            self.emit(ITEM_STRING)
            return self.lex_inside_action
        return self.scan_quoted('"', ITEM_STRING, "unterminated quoted string")

    def scan_quoted(self, quote: str, typ: int, unterminated: str):
        """The rest of a '...' or "..." literal: escapes skip a character; a newline or
        EOF before the closing quote is an error."""
        while True:
            ch = self.next()
            if ch == "\\":
                ch = self.next()
                if ch not in ("", "\n"):
                    continue
            if ch in ("", "\n"):
                return self.errorf(unterminated)
            if ch == quote:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_raw_quote(self):
        end = self.input.find("`", self.pos)
        if end >= 0:
            self.pos = end + 1
            self.emit(ITEM_RAW_STRING)
            return self.lex_inside_action
        while True:
            ch = self.next()
            if ch == "":
                return self.errorf("unterminated raw quoted string")
            if ch == "`":
                break
        self.emit(ITEM_RAW_STRING)
        return self.lex_inside_action


def _go_quote(s: str) -> str:
    from meshctl.goenc.gofmt import quote_string

    return quote_string(s)
