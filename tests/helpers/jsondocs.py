"""meshctl's JSON documents against their schemas in docs/json.md (jsonschema, Draft 2020-12).

docs/json.md is the one place a schema is written: a ``<!-- schema: meshctl.KIND/vN -->`` marker
names the ```json block that follows. `validate` is strict where the docs are lenient: the docs
let scripts meet fields a newer meshctl adds, the tests fail on any field the docs do not list.

Writing a schema: ``MESHCTL_DOCUMENT_SAMPLES=DIR`` makes `validate` also write each document it
sees to DIR (one file per document), to read real output from.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from helpers import ROOT

DOCS = ROOT / "docs" / "json.md"


@lru_cache(maxsize=1)
def schemas() -> dict[str, dict]:
    """schemaVersion -> JSON Schema, from docs/json.md."""
    found = {}
    for match in re.finditer(r"<!-- schema: (\S+) -->\s*```json\n(.*?)```", DOCS.read_text(), re.S):
        found[match.group(1)] = json.loads(match.group(2))
    return found


def strict(schema):
    """`schema` with no room for fields it does not list (``additionalProperties: false`` wherever
    properties are listed and nothing else is said)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {key: strict(value) for key, value in schema.items() if key != "properties"}
    if "properties" in schema:  # the names under "properties" are fields, not schema keywords
        tightened["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
        tightened.setdefault("additionalProperties", False)
    return tightened


def validate(document, name: str | None = None) -> None:
    """Assert that `document` is valid `name` (default: its own schemaVersion), strictly."""
    from jsonschema import Draft202012Validator

    name = name or document["schemaVersion"]
    samples = os.environ.get("MESHCTL_DOCUMENT_SAMPLES")
    if samples:
        folder = Path(samples)
        folder.mkdir(parents=True, exist_ok=True)
        stem = name.replace("/", "_")
        (folder / f"{stem}-{len(list(folder.glob(stem + '-*')))}.json").write_text(json.dumps(document, indent=2))
    Draft202012Validator.check_schema(schemas()[name])
    errors = sorted(Draft202012Validator(strict(schemas()[name])).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10])
