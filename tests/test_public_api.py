"""The public surface of the package is what its __all__ says, and nothing moves silently."""

import importlib.metadata
from pathlib import Path

import loadmaster


def test_public_surface() -> None:
    assert sorted(loadmaster.__all__) == [
        "AuthenticationError",
        "Client",
        "Instance",
        "InvalidRequestError",
        "Job",
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


def test_version_comes_from_the_package_metadata() -> None:
    assert loadmaster.__version__ == importlib.metadata.version("loadmaster")


def test_the_package_ships_its_type_information() -> None:
    files = importlib.metadata.files("loadmaster") or []
    # An editable install lists no package files; the marker must then be in the tree itself.
    marker = Path(loadmaster.__file__).parent / "py.typed"
    assert marker.is_file() or any(str(f).endswith("loadmaster/py.typed") for f in files)
