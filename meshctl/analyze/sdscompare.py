"""Does Envoy hold the certificates the SDS agent serves? (`meshctl sds --compare-admin`).

istioctl once had the same idea (istioctl/pkg/writer/compare/sdscompare: node agent secrets vs
Envoy's SecretsConfigDump). Here both sides are SecretsConfigDump-shaped dicts, compared by
secret name on the leading certificate's serial and validity.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.analyze.secrets import SecretItem, secret_items
from meshctl.model.tabular import Tabular

COMPARE_COLUMNS = (
    "RESOURCE NAME", "MATCH", "AGENT SERIAL", "ENVOY SERIAL", "AGENT NOT BEFORE", "ENVOY NOT BEFORE",
    "AGENT NOT AFTER", "ENVOY NOT AFTER", "ENVOY STATUS",
)


@dataclass(frozen=True)
class SecretComparison:
    """One secret as the SDS agent serves it and as Envoy holds it."""
    name: str
    agent: SecretItem
    envoy: SecretItem | None

    @property
    def verdict(self) -> str:
        """"same", "different", "not in envoy", or "no cert" (the agent's secret has none)."""
        if self.agent.leading_cert is None:
            return "no cert"
        if self.envoy is None:
            return "not in envoy"
        mine, theirs = self.agent.leading_cert, self.envoy.leading_cert
        if theirs is None or (mine.serial, mine.not_before, mine.not_after) != (theirs.serial, theirs.not_before, theirs.not_after):
            return "different"
        return "same"


def compare(agent_section: dict, envoy_section: dict | None) -> list[SecretComparison]:
    """One comparison per secret the agent served, in the agent's order."""
    envoy = {}
    for item in secret_items(envoy_section):
        # An active secret wins over a warming one of the same name: it is what Envoy uses.
        if item.name not in envoy or item.status == "ACTIVE":
            envoy[item.name] = item
    return [SecretComparison(item.name, item, envoy.get(item.name)) for item in secret_items(agent_section)]


def comparison_table(comparisons: list[SecretComparison]) -> Tabular:
    """Per secret: serial and validity on each side, and whether they match."""
    rows = []
    for comp in comparisons:
        mine = comp.agent.leading_cert
        theirs = comp.envoy.leading_cert if comp.envoy else None
        rows.append([
            comp.name, comp.verdict,
            mine.serial if mine else "-", theirs.serial if theirs else "-",
            mine.not_before_rfc3339 if mine else "-", theirs.not_before_rfc3339 if theirs else "-",
            mine.not_after_rfc3339 if mine else "-", theirs.not_after_rfc3339 if theirs else "-",
            comp.envoy.status if comp.envoy else "-",
        ])
    return Tabular(columns=list(COMPARE_COLUMNS), rows=rows, empty_msg="The SDS server returned no secrets.")
