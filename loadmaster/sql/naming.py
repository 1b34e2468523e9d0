"""The keys of result rows, as alasql names select items (§4)."""

from loadmaster.sql import nodes as n
from loadmaster.sql.functions import is_aggregate, resolve_function
from loadmaster.sql.jsvalues import js_str

__all__ = ["item_key", "text_of"]


def _literal_text(value: object, quote: str) -> str:
    if isinstance(value, str):
        return f"{quote}{value}{quote}"
    return js_str(value)


def text_of(node: n.Expr, quote: str = '"') -> str:
    """Print an expression as alasql does: names as written, strings in ``quote``."""
    if isinstance(node, n.Column):
        return f"{node.qualifier}.{node.name}" if node.qualifier else node.name
    if isinstance(node, n.Literal):
        return _literal_text(node.value, quote)
    if isinstance(node, n.Null):
        return "NULL"
    if isinstance(node, n.Star):
        return f"{node.qualifier}.*" if node.qualifier else "*"
    if isinstance(node, n.Func):
        args = ",".join(text_of(a, quote) for a in node.args)
        if node.distinct:
            args = f"DISTINCT {args}"
        if is_aggregate(node.name):
            return f"{node.name.upper()}({args})"
        name, _ = resolve_function(node.name)
        return f"{name}({args})"
    if isinstance(node, n.Binary):
        return f"{text_of(node.left, quote)} {node.op} {text_of(node.right, quote)}"
    if isinstance(node, n.Unary):
        sign = "NOT " if node.op == "NOT" else "-"
        return f"{sign}{text_of(node.operand, quote)}"
    if isinstance(node, n.Arrow):
        return f"{text_of(node.operand, quote)}->{node.key}"
    return "undefined"


def item_key(item: n.SelectItem, has_from: bool) -> str:
    """Return the key of a select item in result rows."""
    if item.alias is not None:
        return item.alias
    node = item.expr
    if isinstance(node, n.Column):
        return node.name
    if not has_from:
        return text_of(node, "'")
    if isinstance(node, n.Func):
        return text_of(node)
    return "undefined"
