"""Databases, tables and attributes: create, drop, describe."""

from typing import Any

from loadmaster.auth import permissions, system_rules
from loadmaster.errors import InvalidRequestError, ServerError
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.operations import schema as s
from loadmaster.operations.access import EVERYONE, DatabaseVisible, describe_access
from loadmaster.operations.checks import check_name, check_strings, database_fields, table_of
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation
from loadmaster.query import require, system_table, user_database
from loadmaster.storage import AttributeInfo

_TYPES = {"Int", "Long", "Float", "BigInt", "String", "Boolean", "Date", "Bytes", "Any", "ID"}


def _create_database(op: s.DatabaseOp, ctx: Context) -> dict[str, str]:
    check_strings(database_fields(op, copied=False))
    db = check_name(op.db, "Database")  # ``system`` exists: "database 'system' already exists"
    ctx.store.create_database(db)
    return {"message": f"database '{db}' successfully created"}


def _drop_database(op: s.DatabaseOp, ctx: Context) -> dict[str, str]:
    check_strings(database_fields(op, copied=False))
    db = user_database(op.db)
    ctx.store.drop_database(db)
    return {"message": f"successfully deleted '{db}'"}


operation(s.CreateDatabase, super_user="createSchema")(_create_database)
operation(s.CreateSchema, super_user="createSchema")(_create_database)
operation(s.DropDatabase, super_user="dropSchema")(_drop_database)
operation(s.DropSchema, super_user="dropSchema")(_drop_database)


def _typed_attributes(value: Any, primary_key: str) -> list[AttributeInfo] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidRequestError("'attributes' must be an array")
    found: list[AttributeInfo] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidRequestError("each of 'attributes' must be an object with a 'name'")
        name = check_name(item["name"], "Attribute")
        kind = item.get("type")
        if kind is not None and kind not in _TYPES:
            raise InvalidRequestError(
                f"Invalid type '{kind}' for attribute '{name}', must be one of: "
                + ", ".join(sorted(_TYPES))
            )
        is_pk = name == primary_key or bool(item.get("is_primary_key"))
        indexed = bool(item.get("indexed", False))
        found.append(AttributeInfo(name=name, type=kind, is_primary_key=is_pk, indexed=indexed))
    if not any(a.name == primary_key for a in found):
        found.insert(0, AttributeInfo(name=primary_key, is_primary_key=True))
    return found


@operation(s.CreateTable, super_user="createTable")
def create_table(op: s.CreateTable, ctx: Context) -> dict[str, str]:
    """Create a table; the database is created on the fly when missing."""
    key_field = "primary_key" if op.primary_key is not None else "hash_attribute"
    key_value = op.primary_key if op.primary_key is not None else op.hash_attribute
    check_strings([*database_fields(op, copied=True), ("table", op.table), (key_field, key_value)])
    table = check_name(require(op.table, "table"), "Table")
    db = user_database(check_name(op.db, "Database"))
    key = op.primary_key if op.primary_key is not None else op.hash_attribute
    key = check_name(require(key, "primary_key"), "Attribute")
    audit = op.audit if isinstance(op.audit, bool) else ctx.settings.audit_log
    ctx.store.create_table(db, table, key, _typed_attributes(op.attributes, key), audit=audit)
    return {"message": f"table '{db}.{table}' successfully created."}


@operation(s.DropTable, super_user="dropTable")
def drop_table(op: s.DropTable, ctx: Context) -> dict[str, str]:
    """Drop a table and its records."""
    check_strings([*database_fields(op, copied=False), ("table", op.table)])
    table = table_of(op, ctx.store)
    ctx.store.drop_table(table.database, table.name)
    return {"message": f"successfully deleted table '{table.database}.{table.name}'"}


@operation(s.CreateAttribute, super_user="createAttribute")
def create_attribute(op: s.CreateAttribute, ctx: Context) -> dict[str, str]:
    """Add an attribute to a table."""
    if op.attribute is not None and not isinstance(op.attribute, str):
        raise ServerError("A.name.match is not a function")  # HarperDB's own (a 500)
    name = check_name(require(op.attribute, "attribute"), "Attribute")
    if op.db == SYSTEM_DATABASE:
        system_rules.refuse_insert(op.table)
    table = table_of(op, ctx.store)
    table.create_attribute(name)
    return {"message": f"attribute '{table.database}.{table.name}.{name}' successfully created."}


@operation(s.DropAttribute, super_user="dropAttribute")
def drop_attribute(op: s.DropAttribute, ctx: Context) -> dict[str, str]:
    """Drop an attribute; HarperDB answers the same whether or not it existed."""
    check_strings(
        [*database_fields(op, copied=False), ("table", op.table), ("attribute", op.attribute)]
    )
    name = check_name(require(op.attribute, "attribute"), "Attribute")
    table = table_of(op, ctx.store)
    if name == table.primary_key:
        raise InvalidRequestError("You cannot drop a hash attribute")
    table.drop_attribute(name)
    return {"message": f"successfully deleted attribute '{name}'"}


def _describe_database(db: str, ctx: Context) -> dict[str, Any]:
    described = {name: ctx.store.table(db, name).describe() for name in ctx.store.table_names(db)}
    return permissions.visible_tables(ctx.user, db, described)


@operation(s.DescribeAll, access=EVERYONE)
def describe_all(_op: s.DescribeAll, ctx: Context) -> dict[str, Any]:
    """Describe every user database (to other users than super users: what their role shows)."""
    names = permissions.visible_databases(ctx.user, ctx.store.database_names())
    described = {db: _describe_database(db, ctx) for db in names}
    if not ctx.user.super_user:
        # HarperDB shows no attributes of a table whose role entry lists none (ops-more §10).
        for db, tables in described.items():
            for name, body in tables.items():
                grant = permissions.table_grant(ctx.user, db, name)
                if grant is not None and grant.get("attribute_permissions") == []:
                    tables[name] = {**body, "attributes": []}
    return described


def _describe_one_database(op: s.DatabaseOp, ctx: Context) -> dict[str, Any]:
    check_strings(database_fields(op, copied=False))
    if op.db == SYSTEM_DATABASE:
        system_rules.check_describe(ctx.user, ctx.store, None)
    return _describe_database(op.db, ctx)


operation(s.DescribeDatabase, access=DatabaseVisible())(_describe_one_database)
operation(s.DescribeSchema, access=DatabaseVisible())(_describe_one_database)


@operation(s.DescribeTable, access=describe_access())
def describe_table(op: s.DescribeTable, ctx: Context) -> dict[str, Any]:
    """Describe one table."""
    # HarperDB names ``database`` but not ``schema`` here.
    check_strings(
        [
            *(database_fields(op, copied=False) if op.database is not None else []),
            ("table", op.table),
        ]
    )
    if op.db == SYSTEM_DATABASE:
        system_rules.check_describe(ctx.user, ctx.store, require(op.table, "table"))
        return system_table(ctx.store, op.table).describe()
    table = table_of(op, ctx.store)
    return permissions.visible_description(ctx.user, table.database, table.name, table.describe())
