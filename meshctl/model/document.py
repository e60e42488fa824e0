"""meshctl's own JSON documents: one convention (issue 15), stdlib only.

Every document meshctl itself defines (not istioctl's, not Envoy's) is a JSON object whose first
key is ``schemaVersion`` (``"meshctl.<kind>/v<N>"``), with camelCase keys as istioctl's and
Kubernetes' are. Its JSON Schema is in docs/json.md under the same name, and
tests/test_json_schemas.py validates real output against it. A version changes only when a field
is removed, renamed or changes type; new fields may be added within a version.

Envoy's resources inside a document are protobuf JSON as istioctl prints them (camelCase); with
--raw they are Envoy's own. Several pods at once (-l/-A/-n) always give `pods_document`'s shape,
whatever the number of pods.
"""

from __future__ import annotations

from collections.abc import Iterable

PODS = "pods"


def camel(name: str) -> str:
    """A Python field name as a document key: ``sds_sources`` -> ``sdsSources``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def schema_version(kind: str, version: int = 1) -> str:
    """``meshctl.<kind>/v<version>``: a document's schema name."""
    return f"meshctl.{kind}/v{version}"


def document(kind: str, body: dict, version: int = 1) -> dict:
    """`body` as a meshctl document of `kind`: ``{"schemaVersion": "meshctl.<kind>/v1", **body}``."""
    return {"schemaVersion": schema_version(kind, version), **body}


def pods_document(results: Iterable[tuple[str, object]], errors: Iterable[tuple[str, str]]) -> dict:
    """The output of a command run on several pods: ``{"schemaVersion": "meshctl.pods/v1",
    "items": [{"pod": NAME.NS, "result": ...}], "errors": [{"pod": NAME.NS, "error": MESSAGE}]}``.

    ``result`` is what the command prints for that one pod; a pod that failed is in ``errors``
    only. The shape is the same for one pod and for three hundred.
    """
    return document(PODS, {"items": [{"pod": pod, "result": result} for pod, result in results],
                           "errors": [{"pod": pod, "error": error} for pod, error in errors]})  # fmt: skip
