"""sprig's functions.go: the function map (`TxtFuncMap`), and the functions it defines inline."""

from __future__ import annotations

import functools

from meshctl.goenc.values import is_empty
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.params import FuncError, arg_str

from .crypto import (
    adler32sum,
    bcrypt,
    build_custom_cert,
    decrypt_aes,
    derive_password,
    encrypt_aes,
    gen_ca,
    gen_ca_with_key,
    gen_private_key,
    gen_self_signed_cert,
    gen_self_signed_cert_with_key,
    gen_signed_cert,
    gen_signed_cert_with_key,
    htpasswd,
    rand_bytes,
    sha1sum,
    sha256sum,
    sha512sum,
    uuidv4,
)
from .date import (
    ago,
    date,
    date_in_zone,
    date_modify,
    duration,
    duration_round,
    html_date,
    html_date_in_zone,
    must_date_modify,
    must_to_date,
    now,
    to_date,
    unix_epoch,
)
from .defaults import (
    coalesce,
    dfault,
    from_json,
    must_from_json,
    must_to_json,
    must_to_pretty_json,
    must_to_raw_json,
    ternary,
    to_json,
    to_pretty_json,
    to_raw_json,
)
from .dict import deep_copy, dict_, dig, get, has_key, keys, merge, merge_overwrite, omit, pick, pluck, set_, unset, values_
from .list import (
    concat,
    list_,
    must_chunk,
    must_compact,
    must_first,
    must_has,
    must_initial,
    must_last,
    must_prepend,
    must_push,
    must_rest,
    must_reverse,
    must_slice,
    must_uniq,
    must_without,
    sort_alpha,
)
from .network import get_host_by_name
from .numeric import (
    add,
    add1,
    add1f,
    addf,
    atoi,
    ceil_,
    div,
    divf,
    floor_,
    max_,
    maxf,
    min_,
    minf,
    mod,
    mul,
    mulf,
    rand_int,
    round_,
    seq,
    sub,
    subf,
    to_decimal,
    to_float64,
    to_int64,
    until,
    until_step,
)
from .reflect import deep_equal, kind_of, type_of
from .regex import (
    must_regex_find,
    must_regex_find_all,
    must_regex_match,
    must_regex_replace_all,
    must_regex_replace_all_literal,
    must_regex_split,
    regex_quote_meta,
)
from .semver import semver, semver_compare
from .strings import (
    GO_SPACES,
    abbrev,
    abbrevboth,
    b32dec,
    b32enc,
    b64dec,
    b64enc,
    camelcase,
    cat,
    expand_dollars,
    go_lower,
    go_upper,
    indent,
    initials,
    join,
    kebabcase,
    nindent,
    nospace,
    plural,
    quote,
    rand_alpha,
    rand_alpha_num,
    rand_ascii,
    rand_numeric,
    repeat,
    replace,
    shuffle,
    snakecase,
    split,
    split_list,
    splitn,
    squote,
    strslice,
    strval,
    substr,
    swapcase,
    title,
    trunc,
    untitle,
    wrap,
    wrap_with,
)
from .url import url_join, url_parse

_SHELL_SPECIAL = "*#$@!?-0123456789"


def expand_env(host: HostAccess, s) -> str:
    """os.ExpandEnv over the environment `host` gives templates."""

    def read_name(text: str, i: int) -> tuple[str, int]:
        # os.Expand getShellName: ${NAME}, $NAME (ASCII alphanumerics and _), or one special character;
        # "${}" and an unclosed "${" are eaten, a "$" not followed by a name stays.
        if text[i] == "{":
            if text[i + 1 : i + 2] and text[i + 1] in _SHELL_SPECIAL and text[i + 2 : i + 3] == "}":
                return host.getenv(text[i + 1]), i + 3
            close = text.find("}", i + 1)
            if close == -1:
                return "", i + 1
            return (host.getenv(text[i + 1 : close]) if close > i + 1 else ""), close + 1
        if text[i] in _SHELL_SPECIAL:
            return host.getenv(text[i]), i + 1
        j = i
        while j < len(text) and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
            j += 1
        return (host.getenv(text[i:j]), j) if j > i else ("$", i)

    return expand_dollars(arg_str(s), read_name)


def path_clean(p) -> str:
    """Go path.Clean."""
    p = arg_str(p)
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = ("/" if rooted else "") + "/".join(parts)
    return out or "."


def path_base(p):
    p = arg_str(p)
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p[p.rfind("/") + 1 :]


def path_dir(p):
    p = arg_str(p)
    return path_clean(p[: p.rfind("/") + 1])


def path_ext(p):
    p = arg_str(p)
    for i in range(len(p) - 1, -1, -1):
        if p[i] == "/":
            break
        if p[i] == ".":
            return p[i:]
    return ""


def fail(msg):
    raise FuncError(arg_str(msg))


@functools.lru_cache(maxsize=8)
def txt_func_map(host: HostAccess) -> dict:
    """sprig.TxtFuncMap(): every sprig function by its template name, the non-hermetic ones (env,
    expandenv, getHostByName) reading what `host` allows. Built once per HostAccess; do not modify."""
    path_funcs = {"base": path_base, "dir": path_dir, "clean": path_clean, "ext": path_ext, "isAbs": lambda p: arg_str(p).startswith("/")}
    return {
        "hello": lambda: "Hello!",
        # strings
        "abbrev": abbrev, "abbrevboth": abbrevboth, "trunc": trunc,
        "trim": lambda s: arg_str(s).strip(GO_SPACES),
        "upper": go_upper, "lower": go_lower,
        "title": title, "untitle": untitle, "substr": substr,
        "repeat": repeat,
        "trimall": lambda a, b: arg_str(b).strip(arg_str(a)), "trimAll": lambda a, b: arg_str(b).strip(arg_str(a)),
        "trimSuffix": lambda a, b: arg_str(b).removesuffix(arg_str(a)),
        "trimPrefix": lambda a, b: arg_str(b).removeprefix(arg_str(a)),
        "nospace": nospace, "initials": initials, "swapcase": swapcase, "shuffle": shuffle,
        "snakecase": snakecase, "camelcase": camelcase, "kebabcase": kebabcase,
        "randAlphaNum": rand_alpha_num, "randAlpha": rand_alpha, "randAscii": rand_ascii, "randNumeric": rand_numeric,
        "wrap": wrap, "wrapWith": wrap_with,
        "contains": lambda sub, s: arg_str(sub) in arg_str(s),
        "hasPrefix": lambda pre, s: arg_str(s).startswith(arg_str(pre)),
        "hasSuffix": lambda suf, s: arg_str(s).endswith(arg_str(suf)),
        "quote": quote, "squote": squote, "cat": cat, "indent": indent, "nindent": nindent,
        "replace": replace,
        "plural": plural,
        "sha1sum": sha1sum, "sha256sum": sha256sum, "sha512sum": sha512sum, "adler32sum": adler32sum,
        "toString": lambda v: strval(v),
        "atoi": atoi, "int64": to_int64, "int": to_int64, "float64": to_float64, "seq": seq, "toDecimal": to_decimal,
        "split": split, "splitList": split_list, "splitn": splitn, "toStrings": strslice,
        "until": until, "untilStep": until_step,
        # arithmetic
        "add1": add1, "add": add, "sub": sub, "div": div, "mod": mod, "mul": mul,
        "randInt": rand_int,
        "add1f": add1f, "addf": addf, "subf": subf, "divf": divf, "mulf": mulf,
        "biggest": max_, "max": max_, "min": min_, "maxf": maxf, "minf": minf,
        "ceil": ceil_, "floor": floor_, "round": round_,
        "join": join, "sortAlpha": sort_alpha,
        # defaults
        "default": dfault, "empty": is_empty, "coalesce": coalesce,
        "all": lambda *v: all(not is_empty(x) for x in v), "any": lambda *v: any(not is_empty(x) for x in v),
        "compact": must_compact, "mustCompact": must_compact,
        "fromJson": from_json, "mustFromJson": must_from_json,
        "toJson": to_json, "mustToJson": must_to_json,
        "toPrettyJson": to_pretty_json, "mustToPrettyJson": must_to_pretty_json,
        "toRawJson": to_raw_json, "mustToRawJson": must_to_raw_json,
        "ternary": ternary, "deepCopy": deep_copy, "mustDeepCopy": deep_copy,
        "fail": fail,
        # reflection
        "typeOf": type_of, "typeIs": lambda t, v: arg_str(t) == type_of(v),
        "typeIsLike": lambda t, v: type_of(v) in (arg_str(t), "*" + arg_str(t)),
        "kindOf": kind_of, "kindIs": lambda k, v: arg_str(k) == kind_of(v), "deepEqual": deep_equal,
        # OS: what `host` allows
        "env": lambda key: host.getenv(arg_str(key)), "expandenv": functools.partial(expand_env, host),
        "getHostByName": functools.partial(get_host_by_name, host),
        # paths (filepath on Linux is the same)
        **path_funcs, **{"os" + name[0].upper() + name[1:]: f for name, f in path_funcs.items()},
        # encodings
        "b64enc": b64enc, "b64dec": b64dec, "b32enc": b32enc, "b32dec": b32dec,
        # data structures
        "tuple": list_, "list": list_, "dict": dict_, "get": get, "set": set_, "unset": unset, "hasKey": has_key,
        "pluck": pluck, "keys": keys, "pick": pick, "omit": omit, "values": values_,
        "merge": merge, "mergeOverwrite": merge_overwrite, "mustMerge": merge, "mustMergeOverwrite": merge_overwrite,
        "append": must_push, "push": must_push, "mustAppend": must_push, "mustPush": must_push,
        "prepend": must_prepend, "mustPrepend": must_prepend,
        "first": must_first, "mustFirst": must_first, "rest": must_rest, "mustRest": must_rest,
        "last": must_last, "mustLast": must_last, "initial": must_initial, "mustInitial": must_initial,
        "reverse": must_reverse, "mustReverse": must_reverse, "uniq": must_uniq, "mustUniq": must_uniq,
        "without": must_without, "mustWithout": must_without, "has": must_has, "mustHas": must_has,
        "slice": must_slice, "mustSlice": must_slice, "concat": concat, "dig": dig,
        "chunk": must_chunk, "mustChunk": must_chunk,
        # UUIDs
        "uuidv4": uuidv4,
        # semver
        "semver": semver, "semverCompare": semver_compare,
        # regexps
        "regexMatch": must_regex_match, "mustRegexMatch": must_regex_match,
        "regexFindAll": must_regex_find_all, "mustRegexFindAll": must_regex_find_all,
        "regexFind": must_regex_find, "mustRegexFind": must_regex_find,
        "regexReplaceAll": must_regex_replace_all, "mustRegexReplaceAll": must_regex_replace_all,
        "regexReplaceAllLiteral": must_regex_replace_all_literal,
        "mustRegexReplaceAllLiteral": must_regex_replace_all_literal,
        "regexSplit": must_regex_split, "mustRegexSplit": must_regex_split, "regexQuoteMeta": regex_quote_meta,
        # URLs
        "urlParse": url_parse, "urlJoin": url_join,
        # dates
        "duration": duration, "durationRound": duration_round, "randBytes": rand_bytes,
        "now": now, "date": date, "dateInZone": date_in_zone, "date_in_zone": date_in_zone,
        "htmlDate": html_date, "htmlDateInZone": html_date_in_zone,
        "toDate": to_date, "mustToDate": must_to_date,
        "dateModify": date_modify, "date_modify": date_modify, "mustDateModify": must_date_modify,
        "must_date_modify": must_date_modify,
        "unixEpoch": unix_epoch, "ago": ago,
        # crypto
        "genPrivateKey": gen_private_key, "buildCustomCert": build_custom_cert,
        "genCA": gen_ca, "genCAWithKey": gen_ca_with_key,
        "genSelfSignedCert": gen_self_signed_cert, "genSelfSignedCertWithKey": gen_self_signed_cert_with_key,
        "genSignedCert": gen_signed_cert, "genSignedCertWithKey": gen_signed_cert_with_key,
        "encryptAES": encrypt_aes, "decryptAES": decrypt_aes, "derivePassword": derive_password,
        "bcrypt": bcrypt, "htpasswd": htpasswd,
    }  # fmt: skip
