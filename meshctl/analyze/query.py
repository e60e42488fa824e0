"""`--query`: a JMESPath expression over the JSON form of a command's output."""

from __future__ import annotations

from meshctl.errors import UsageError


def apply_query(expression: str, document):
    """Evaluate `expression` on `document` (plain JSON-able data); UsageError if it is malformed."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.search(expression, document)
    except JMESPathError as exc:
        message = " ".join(str(exc).split())
        raise UsageError(f"invalid --query {expression!r}: {message}") from None
