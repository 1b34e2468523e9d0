"""Make a decoded JSON value safe to store: what msgpack cannot encode is turned into text.

Request bodies decode into arbitrary JSON (integers of any size, nesting as deep as the
decoder allowed); a job record must be storable whatever a client sent.
"""

from typing import Any

__all__ = ["encodable"]

_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1
#: Deeper nesting is cut off (a job record has no use for it).
MAX_DEPTH = 32


def encodable(value: Any, depth: int = 0) -> Any:
    """Return ``value`` with every part msgpack cannot encode replaced by its text.

    Integers outside 64 bits become strings, mapping keys become strings, anything that is
    not a JSON type becomes its ``str``, and nesting deeper than ``MAX_DEPTH`` is cut to
    ``None``.
    """
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else str(value)
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {str(k): encodable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(v, depth + 1) for v in value]
    return str(value)
