"""URLs as meshctl prints and stores them: never with the ``user:password@`` a kubeconfig or flag may hold."""

from __future__ import annotations


def without_userinfo(url: str) -> str:
    """`url` (or a bare ``host:port``) with any userinfo removed: ``https://u:p@h:6443/x`` -> ``https://h:6443/x``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    host = authority.rpartition("@")[2]
    return f"{scheme}{sep}{host}{slash}{path}"
