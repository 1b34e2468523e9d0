"""Search execution below the handlers: what the NoSQL searches, exports and SQL share.

A search is first checked into a typed, frozen Struct (:class:`ValueSearch`,
:class:`ConditionSearch`, :class:`IdSearch`) from the fields a request sent, worded as
HarperDB words its refusals; it then runs against a storage table (:func:`matches` for whole
records, :func:`results` for records shaped to ``get_attributes``).
"""

from loadmaster.query.fields import (
    attributes_list,
    find_table,
    paging_number,
    records_list,
    require,
    system_table,
    table_at,
    user_database,
)
from loadmaster.query.search import (
    ConditionSearch,
    IdSearch,
    Search,
    ValueSearch,
    condition_search,
    expected_count,
    id_search,
    matches,
    parse_conditions,
    projector,
    results,
    value_search,
)

__all__ = [
    "ConditionSearch",
    "IdSearch",
    "Search",
    "ValueSearch",
    "attributes_list",
    "condition_search",
    "expected_count",
    "find_table",
    "id_search",
    "matches",
    "paging_number",
    "parse_conditions",
    "projector",
    "records_list",
    "require",
    "results",
    "system_table",
    "table_at",
    "user_database",
    "value_search",
]
