"""sprig's url.go: `urlParse` and `urlJoin`."""

from __future__ import annotations

from meshctl.gotemplate.params import arg_map, arg_str


def url_parse(v):
    from urllib.parse import urlsplit

    u = urlsplit(arg_str(v))
    userinfo = u.netloc.rpartition("@")[0] if "@" in u.netloc else ""
    return {
        "scheme": u.scheme, "host": u.netloc.rpartition("@")[2], "hostname": u.hostname or "",
        "path": u.path, "query": u.query, "opaque": "", "fragment": u.fragment, "userinfo": userinfo,
    }


def url_join(d):
    d = arg_map(d)
    scheme, host, path = (str(d.get(k, "")) for k in ("scheme", "host", "path"))
    out = (scheme + ":" if scheme else "") + ("//" + (d.get("userinfo") + "@" if d.get("userinfo") else "") + host if host else "")
    out += path + ("?" + str(d["query"]) if d.get("query") else "") + ("#" + str(d["fragment"]) if d.get("fragment") else "")
    return out
