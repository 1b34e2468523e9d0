"""The operation table: every declared operation has exactly one handler."""

import pytest

from loadmaster.operations import dispatch
from loadmaster.operations.schema import CreateTable
from loadmaster.operations.table import OPERATIONS, operation, operation_types, tag_of


def test_every_declared_operation_has_exactly_one_handler() -> None:
    declared = {tag_of(t) for t in operation_types()}
    assert declared == set(OPERATIONS)
    for name, spec in OPERATIONS.items():
        assert tag_of(spec.type) == name


def test_registering_an_operation_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already has a handler"):
        operation(CreateTable)(lambda op, ctx: None)


def test_the_decoder_knows_every_registered_operation() -> None:
    for name in OPERATIONS:
        op = dispatch.decode(b'{"operation": "' + name.encode() + b'"}')
        assert tag_of(type(op)) == name
