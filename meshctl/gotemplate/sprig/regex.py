"""sprig's regex.go over Go's regexp package: RE2, the engine Go's regexp implements.

Go's regexp is a port of RE2 (same syntax, leftmost-first semantics, ASCII \\d \\w \\b, `$` at the end of
the text, Unicode classes and scripts) and runs in time linear in the text. Templates may come from a
cluster or a snapshot, so a backtracking engine (Python's `re`) would let one pattern such as `(a+)+$`
hang meshctl; google-re2 binds the C++ RE2 itself. Matching runs on the string's bytes, as Go's does
(strings carry raw bytes as surrogate escapes), with Go's own loops for "all matches" and replacement.
"""

from __future__ import annotations

import functools

from meshctl.gotemplate.params import FuncError, arg_int, arg_str

from .strings import expand_dollars, from_bytes, to_bytes

# RE2's error codes (re2/regexp.cc kErrorStrings) in Go's words (regexp/syntax ErrorCode.String).
_GO_ERROR_CODES = {
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid repetition size": "invalid repeat count",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid named capture group": "invalid named capture",
    "invalid escape sequence": "invalid escape sequence",
    "invalid character class": "invalid character class",
    "invalid character class range": "invalid character class range",
    "invalid UTF-8": "invalid UTF-8",
    "pattern too large - compile failed": "expression too large",
}


def _regex_error(message: str) -> FuncError:
    # regexp/syntax Error.Error(): "error parsing regexp: " + the code + ": `" + the offending part + "`"
    code, _, expr = message.partition(": ")
    if code not in _GO_ERROR_CODES:  # RE2 says "CODE: ARG", but a code may hold ": " itself
        code, expr = message, ""
    return FuncError(f"error parsing regexp: {_GO_ERROR_CODES.get(code, code)}: `{expr}`")


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str):
    """regexp.Compile(pattern) as an RE2 program over bytes; FuncError with Go's wording on a bad pattern."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print its own complaint on stderr
    try:
        return re2.compile(to_bytes(pattern), options=options)
    except re2.error as err:
        detail = err.args[0] if err.args else b""
        raise _regex_error(detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)) from None


def _rune_width(data: bytes, pos: int) -> int:
    """utf8.DecodeRune(data[pos:])'s width: a valid sequence's length, 1 for a bad byte, 0 at the end."""
    for width in range(1, 5):
        if pos + width > len(data):
            break
        try:
            data[pos : pos + width].decode("utf-8")
            return width
        except UnicodeDecodeError:
            continue
    return 1 if pos < len(data) else 0


def _all_matches(rx, data: bytes, n: int) -> list:
    """regexp.go (*Regexp).allMatches: at most n matches (all if n < 0); an empty match right
    after the previous match is skipped, and the search moves on by a rune after an empty one."""
    out: list = []
    pos, prev_end, end = 0, -1, len(data)
    while (n < 0 or len(out) < n) and pos <= end:
        m = rx.search(data, pos)
        if m is None:
            break
        accept = True
        if m.end() == pos:  # an empty match
            accept = m.start() != prev_end
            width = _rune_width(data, pos)
            pos = pos + width if width > 0 else end + 1
        else:
            pos = m.end()
        prev_end = m.end()
        if accept:
            out.append(m)
    return out


def _group_reader(m):
    # regexp.Regexp.Expand: $$, $name or ${name} (letters, digits, _); a number is a group index
    # (no leading zeros); unknown groups give ""; a malformed reference leaves "$" as text.
    def read(text: str, i: int) -> tuple[str, int]:
        if text[i] == "$":
            return "$", i + 1
        brace = text[i] == "{"
        j = start = i + brace
        # unicode.IsLetter / unicode.IsDigit (Nd, i.e. isdecimal: "¹" is no name character)
        while j < len(text) and (text[j].isalpha() or text[j].isdecimal() or text[j] == "_"):
            j += 1
        if j == start or (brace and text[j : j + 1] != "}"):
            return "$", i
        name = text[start:j]
        if name.isascii() and name.isdigit() and not (len(name) > 1 and name[0] == "0"):
            value = m.group(int(name)) if int(name) <= m.re.groups else None
        else:
            index = m.re.groupindex.get(to_bytes(name))
            value = m.group(index) if index is not None else None
        return from_bytes(value) if value else "", j + brace

    return read


def _replace_all(rx, s: str, repl) -> str:
    """regexp.go (*Regexp).replaceAll: `repl(match)` for each match, but not for an empty match
    right after another; the search always advances at least one rune."""
    src = to_bytes(s)
    out: list[bytes] = []
    last_match_end, search_pos, end = 0, 0, len(src)
    while search_pos <= end:
        m = rx.search(src, search_pos)
        if m is None:
            break
        out.append(src[last_match_end : m.start()])
        if m.end() > last_match_end or m.start() == 0:
            out.append(to_bytes(repl(m)))
        last_match_end = m.end()
        width = _rune_width(src, search_pos)
        if search_pos + width > m.end():
            search_pos += width
        elif search_pos + 1 > m.end():
            search_pos += 1  # only at the end of the text, where the width is 0
        else:
            search_pos = m.end()
    out.append(src[last_match_end:])
    return from_bytes(b"".join(out))


def must_regex_match(regex, s):
    return compile_regex(arg_str(regex)).search(to_bytes(arg_str(s))) is not None


def must_regex_find_all(regex, s, n):
    return [from_bytes(m.group()) for m in _all_matches(compile_regex(arg_str(regex)), to_bytes(arg_str(s)), arg_int(n))]


def must_regex_find(regex, s):
    m = compile_regex(arg_str(regex)).search(to_bytes(arg_str(s)))
    return from_bytes(m.group()) if m else ""


def must_regex_replace_all(regex, s, repl):
    repl = arg_str(repl)
    return _replace_all(compile_regex(arg_str(regex)), arg_str(s), lambda m: expand_dollars(repl, _group_reader(m)))


def must_regex_replace_all_literal(regex, s, repl):
    repl = arg_str(repl)
    return _replace_all(compile_regex(arg_str(regex)), arg_str(s), lambda m: repl)


def must_regex_split(regex, s, n):
    """regexp.go (*Regexp).Split."""
    pattern, n = arg_str(regex), arg_int(n)
    rx, data = compile_regex(pattern), to_bytes(arg_str(s))
    if n == 0:
        return []  # a nil []string: prints "[]", len 0
    if pattern and not data:
        return [""]
    out, beg, end = [], 0, 0
    for m in _all_matches(rx, data, n):
        if n > 0 and len(out) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            out.append(from_bytes(data[beg:end]))
        beg = m.end()
    if end != len(data):
        out.append(from_bytes(data[beg:]))
    return out


_META = frozenset("\\.+*?()|[]{}^$")


def regex_quote_meta(s):
    """regexp.QuoteMeta: a backslash before each of \\.+*?()|[]{}^$."""
    return "".join("\\" + ch if ch in _META else ch for ch in arg_str(s))
