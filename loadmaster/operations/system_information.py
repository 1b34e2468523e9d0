"""``system_information``: the host, this process and the databases (ops-more §4)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadmaster.names import SYSTEM_DATABASE
from loadmaster.operations import host_facts, schema as s
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation


def _metrics(ctx: Context) -> dict[str, Any]:
    store = ctx.store
    names = store.database_names()
    if store.has_database(SYSTEM_DATABASE):
        names.append(SYSTEM_DATABASE)
    return {db: {"tables": store.tree_stats(db)} for db in names}


_SECTIONS: dict[str, Callable[[Context], Any]] = {
    "system": lambda _ctx: host_facts.system(),
    "time": lambda _ctx: host_facts.clock(),
    "cpu": lambda _ctx: host_facts.cpu(),
    "memory": lambda _ctx: host_facts.memory(),
    "disk": lambda ctx: host_facts.disk(Path(ctx.settings.data)),
    "network": lambda _ctx: host_facts.network(),
    "harperdb_processes": lambda _ctx: host_facts.processes(),
    "table_size": lambda _ctx: [],
    "metrics": _metrics,
    "threads": lambda _ctx: host_facts.threads(),
}
_ALIASES = {"database_metrics": "metrics"}


@operation(s.SystemInformation, super_user="systemInformation")
def system_information(op: s.SystemInformation, ctx: Context) -> dict[str, Any]:
    """Describe the host, the process and the databases: every section, or those named in
    ``attributes`` (unknown names are ignored, as HarperDB ignores them)."""
    wanted = op.attributes
    if not isinstance(wanted, list) or not wanted:
        names = list(_SECTIONS)
    else:
        named = (_ALIASES.get(n, n) for n in wanted if isinstance(n, str))
        names = [n for n in dict.fromkeys(named) if n in _SECTIONS]
    return {name: _SECTIONS[name](ctx) for name in names}
