"""sprig's network.go: `getHostByName`."""

from __future__ import annotations

import random

from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.params import FuncError, arg_str


def get_host_by_name(host: HostAccess, name) -> str:
    """One of `name`'s addresses, picked at random (net.LookupHost, then rand.Intn).

    sprig ignores the lookup's error, so a failed lookup panics in rand.Intn(0): the template fails
    with "invalid argument to Intn". Without network access (`host.network` False) meshctl fails the
    same way, without asking any resolver, and says why.
    """
    name = arg_str(name)
    if not host.network:
        raise FuncError(f"lookup {name}: not resolved: templates from {host.origin} get no network access (meshctl)")
    import socket

    try:
        addrs = socket.gethostbyname_ex(name)[2]
    except OSError:
        addrs = []
    if not addrs:
        raise FuncError("invalid argument to Intn")
    return random.SystemRandom().choice(addrs)
