"""sprig's regex.go: Go RE2 regular expressions, translated to Python `re`."""

from __future__ import annotations

import functools
import re

from meshctl.gotemplate.params import FuncError, arg_int, arg_str

from .strings import expand_dollars


@functools.lru_cache(maxsize=None)
def _unicode_categories() -> dict[str, list[tuple[int, int]]]:
    """Code point ranges of every Unicode general category (one pass, on first use of \\p)."""
    import unicodedata

    ranges: dict[str, list[tuple[int, int]]] = {}
    start, current = 0, unicodedata.category("\0")
    for code in range(1, 0x110000):
        cat = unicodedata.category(chr(code))
        if cat != current:
            ranges.setdefault(current, []).append((start, code - 1))
            start, current = code, cat
    ranges.setdefault(current, []).append((start, 0x10FFFF))
    return ranges


@functools.lru_cache(maxsize=64)
def _unicode_class(name: str) -> str | None:
    """The body of a [...] class for RE2's \\p{name}: a general category (L, Lu, N, ...) or Any;
    None for other names (Go also knows scripts such as Greek; Python's unicodedata does not)."""
    if name == "Any":
        return "\\x00-\\U0010ffff"
    cats = _unicode_categories()
    # Go's one-letter categories are unions of the two-letter ones; unassigned code points (Cn) are in none.
    names = [c for c in cats if c != "Cn" and c[0] == name] if len(name) == 1 else [name] if name in cats else []
    if not names:
        return None
    spans = sorted(span for c in names for span in cats[c])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in spans)


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}


# RE2's Perl classes are ASCII-only (Python's are Unicode).
_PERL_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}


_ASCII_WORD = "[0-9A-Za-z_]"


_ASCII_WORD_BOUNDARY = {
    "b": f"(?:(?<={_ASCII_WORD})(?!{_ASCII_WORD})|(?<!{_ASCII_WORD})(?={_ASCII_WORD}))",
    "B": f"(?:(?<={_ASCII_WORD})(?={_ASCII_WORD})|(?<!{_ASCII_WORD})(?!{_ASCII_WORD}))",
}


_REGEX_MESSAGES = {
    "missing ), unterminated subpattern": "missing closing )",
    "unbalanced parenthesis": "unexpected )",
    "unterminated character set": "missing closing ]",
    "nothing to repeat": "missing argument to repetition operator",
    "multiple repeat": "invalid nested repetition operator",
    "bad escape (end of pattern)": "trailing backslash at end of expression",
}


def _regex_error(expr: str, code: str) -> FuncError:
    # regexp/syntax Error.Error(): the error code, then the offending part of the expression
    return FuncError(f"error parsing regexp: {code}: `{expr}`")


def _translate_regex(pattern: str) -> str:
    out: list[str] = []
    multiline = re.search(r"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]", pattern) is not None
    i, n, in_class, ungreedy = 0, len(pattern), False, False
    levels = [0]  # per open group: scoped-flag groups to close with it
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                lit = pattern[i + 2 :] if end == -1 else pattern[i + 2 : end]
                out.append(re.escape(lit))
                i = n if end == -1 else end + 2
                continue
            if nxt in "dws":
                out.append(_PERL_CLASSES[nxt] if in_class else "[" + _PERL_CLASSES[nxt] + "]")
            elif nxt in "DWS" and not in_class:
                out.append("[^" + _PERL_CLASSES[nxt.lower()] + "]")
            elif nxt == "z":
                out.append("\\Z")
            elif nxt in "bB" and not in_class:
                out.append(_ASCII_WORD_BOUNDARY[nxt])
            elif nxt.isdigit() or (nxt == "x" and pattern.startswith("{", i + 2)):
                # RE2 octal (\0, \12, \123; a lone \1 would be a backreference) and \x{10FFFF} escapes
                code = re.match(r"0[0-7]{0,2}|[1-7][0-7]{1,2}|x\{([0-9A-Fa-f]{1,6})\}", pattern[i + 1 :])
                if code is None or int(code.group(1) or "0", 16) > 0x10FFFF:
                    raise _regex_error(pattern[i : i + 2], "invalid escape sequence")
                out.append(re.escape(chr(int(code.group(1), 16) if code.group(1) else int(code.group(), 8))))
                i += 1 + code.end()
                continue
            elif nxt in "pP":
                ref = re.match(r"[pP](?:\{(\^?)(\w+)\}|(\w))", pattern[i + 1 :])
                if ref is None:
                    raise _regex_error(pattern[i : i + 2], "invalid character class range")
                negated = (nxt == "P") != bool(ref.group(1))
                body = _unicode_class(ref.group(2) or ref.group(3))
                if body is None:
                    code = "invalid character class range (meshctl knows Unicode categories, not scripts)"
                    raise _regex_error(pattern[i : i + 1 + ref.end()], code)
                if in_class and negated:
                    raise _regex_error(pattern[i : i + 1 + ref.end()], "meshctl does not support a negated Unicode class inside []")
                out.append(body if in_class else ("[^" if negated else "[") + body + "]")
                i += 1 + ref.end()
                continue
            elif nxt in "ZGcegijkloqy":
                raise _regex_error(pattern[i : i + 2], "invalid escape sequence")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end != -1 else ""
                if name in _POSIX_CLASSES:
                    out.append(_POSIX_CLASSES[name])
                    i = end + 2
                    continue
                out.append("\\[")
                i += 1
                continue
            if ch == "]":
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            # A ']' right after '[' or '[^' is a literal in both syntaxes.
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if ch == "(" and pattern.startswith("(?", i):
            rest = pattern[i + 2 : i + 4]
            if rest[:1] in ("=", "!") or rest in ("<=", "<!"):
                raise _regex_error(pattern[i : i + 3], "invalid or unsupported Perl syntax")
            group = re.match(r"\(\?([a-zA-Z-]*)([:)])", pattern[i:])
            if group is None:  # (?P<name>...) or (?<name>...)
                out.append("(?P<" if rest[:1] == "<" else "(")
                i += 3 if rest[:1] == "<" else 1
                levels.append(0)
                continue
            flags, kind = group.groups()
            if not re.fullmatch(r"[imsU]*(-[imsU]*)?", flags):
                raise _regex_error(group.group(), "invalid or unsupported Perl syntax")
            if "U" in flags:
                # Only a leading (?U) is supported: it swaps greedy and lazy repetition everywhere.
                if kind != ")" or out or "-" in flags:
                    raise _regex_error(group.group(), "meshctl supports the ungreedy flag U only at the start")
                ungreedy, flags = True, flags.replace("U", "")
            i += group.end()
            if kind == ":":
                out.append(f"(?{flags}:")
                levels.append(0)
            elif flags.strip("-") and not out and "-" not in flags:
                out.append(f"(?{flags})")  # leading flags: Python's global flags
            elif flags.strip("-"):
                # RE2 flags set mid-group last until the group ends; Python wants them scoped.
                out.append(f"(?{flags}:")
                levels[-1] += 1
            continue
        if ch == "(":
            levels.append(0)
        elif ch == ")" and len(levels) > 1:
            out.append(")" * levels.pop())
        elif ch == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        elif ungreedy and ch in "*+?{":
            rep = re.match(r"[*+?]|\{[0-9]+(?:,[0-9]*)?\}", pattern[i:])
            if rep is not None:
                i += rep.end()
                lazy = pattern.startswith("?", i)
                out.append(rep.group() if lazy else rep.group() + "?")
                i += lazy
                continue
        out.append(ch)
        i += 1
    out.append(")" * levels[0])
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern:
    """regexp.Compile(pattern) as a Python pattern; FuncError with Go's wording on a bad pattern."""
    translated = _translate_regex(pattern)
    try:
        return re.compile(translated)
    except re.error as err:
        raise _regex_error(pattern, _REGEX_MESSAGES.get(err.msg, err.msg)) from None


def _find_all(rx: re.Pattern, s: str, n: int) -> list[re.Match]:
    # Go ignores an empty match that abuts the previous match (regexp.go allMatches).
    out: list[re.Match] = []
    prev_end = -1
    for m in rx.finditer(s):
        if 0 <= n <= len(out):
            break
        if m.start() == m.end() and m.start() == prev_end:
            continue
        out.append(m)
        prev_end = m.end()
    return out


def _group_reader(m: re.Match):
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
            value = m.group(int(name)) if int(name) <= m.re.groups else ""
        else:
            value = m.group(name) if name in m.re.groupindex else ""
        return value or "", j + brace

    return read


def _expand_template(template: str, m: re.Match) -> str:
    return expand_dollars(template, _group_reader(m))


def _replace_all(rx: re.Pattern, s: str, repl) -> str:
    out, last = [], 0
    for m in _find_all(rx, s, -1):
        out.append(s[last : m.start()])
        out.append(repl(m))
        last = m.end()
    out.append(s[last:])
    return "".join(out)


def must_regex_match(regex, s):
    return compile_regex(arg_str(regex)).search(arg_str(s)) is not None


def must_regex_find_all(regex, s, n):
    return [m.group() for m in _find_all(compile_regex(arg_str(regex)), arg_str(s), arg_int(n))]


def must_regex_find(regex, s):
    m = compile_regex(arg_str(regex)).search(arg_str(s))
    return m.group() if m else ""


def must_regex_replace_all(regex, s, repl):
    repl = arg_str(repl)
    return _replace_all(compile_regex(arg_str(regex)), arg_str(s), lambda m: _expand_template(repl, m))


def must_regex_replace_all_literal(regex, s, repl):
    repl = arg_str(repl)
    return _replace_all(compile_regex(arg_str(regex)), arg_str(s), lambda m: repl)


def must_regex_split(regex, s, n):
    rx, s, n = compile_regex(arg_str(regex)), arg_str(s), arg_int(n)
    if n == 0:
        return []  # a nil []string: prints "[]", len 0
    if rx.pattern and s == "":
        return [""]
    out, beg, end = [], 0, 0
    for m in _find_all(rx, s, n):
        if n > 0 and len(out) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            out.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        out.append(s[beg:])
    return out


def regex_quote_meta(s):
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", arg_str(s))
