"""The public surface of the package is what its __all__ says, and nothing moves silently."""

import loadmaster


def test_public_surface() -> None:
    assert sorted(loadmaster.__all__) == [
        "AuthenticationError",
        "Instance",
        "InvalidRequestError",
        "LoadmasterError",
        "NotFoundError",
        "PermissionDeniedError",
        "Settings",
        "__version__",
        "open",
    ]
    for name in loadmaster.__all__:
        assert hasattr(loadmaster, name), name


def test_open_is_the_embedded_entry_point(tmp_path) -> None:
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        assert isinstance(db, loadmaster.Instance)
        assert db.operation({"operation": "describe_all"}) == {}
