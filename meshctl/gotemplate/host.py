"""What template functions may read of the machine that runs meshctl: its environment and its resolver.

sprig calls the functions that do so non-hermetic (functions.go ``nonhermeticFunctions``): ``env``,
``expandenv`` and ``getHostByName``; Istio's injection funcmap adds its own ``env``. In istiod they read
istiod's environment and resolve in the cluster's DNS. A template that meshctl renders runs on the user's
machine instead, where the environment holds the user's secrets (CI tokens, cloud credentials) and a DNS
lookup of a crafted name sends data out. So a template the user did not name on the command line (one
from the cluster's ConfigMaps or a snapshot) gets `HostAccess.isolated`: an empty environment, or only
the variables the user passes (``--template-env NAME=VALUE``), and no name resolution. See
docs/security.md, "Templates".
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class HostAccess:
    """The environment and network a template's functions see (hashable: function maps are cached per access).

    ``local_environment``: ``env``/``expandenv`` read meshctl's own environment; ``variables`` (NAME, VALUE)
    pairs are seen in any case and win over it. ``network``: ``getHostByName`` resolves names through the
    local resolver. ``origin`` says where isolated templates came from, for messages and ``--explain``.
    """

    local_environment: bool = True
    variables: tuple[tuple[str, str], ...] = ()
    network: bool = True
    origin: str = "a file named on the command line"

    @classmethod
    def local(cls, origin: str = "a file named on the command line", variables: tuple[tuple[str, str], ...] = ()) -> HostAccess:
        """For templates the user named: the local environment (`variables` win over it) and resolver."""
        return cls(True, tuple(variables), True, origin)

    @classmethod
    def isolated(cls, origin: str, variables: tuple[tuple[str, str], ...] = ()) -> HostAccess:
        """No local environment (only `variables`) and no name resolution, for templates from `origin`."""
        return cls(False, tuple(variables), False, origin)

    def getenv(self, name: str) -> str:
        """os.Getenv as the template sees it ("" when unset)."""
        for key, value in reversed(self.variables):
            if key == name:
                return value
        return os.environ.get(name, "") if self.local_environment else ""

    def describe(self) -> str:
        """One line for --explain: what the template functions could read."""
        if self.local_environment and self.network:
            extra = f" (plus --template-env {', '.join(k for k, _ in self.variables)})" if self.variables else ""
            return f"templates from {self.origin}: env/expandenv read the local environment{extra}; getHostByName resolves"
        seen = ", ".join(k for k, _ in self.variables) if self.variables else "nothing"
        return (f"templates from {self.origin}: the local environment and network were withheld: env/expandenv saw "
                f"{'only --template-env ' + seen if self.variables else 'an empty environment'}; getHostByName did not resolve")
