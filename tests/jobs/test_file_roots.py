"""File roots on a real directory tree: symlinks and ``..`` are followed before judging."""

import os
from pathlib import Path

import pytest

from loadmaster.errors import FileOutsideRootsError
from loadmaster.jobs.file_roots import check_file_path, create_default_root, roots_for
from loadmaster.models import EMBEDDED_USER, Role, User
from loadmaster.settings import Settings

LOADER = User(username="loader", role=Role(role="loader", id="loader", permission={}))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``data/files/in.csv``, ``outside/secret.csv``, and links out of and into the root."""
    files = tmp_path / "data" / "files"
    files.mkdir(parents=True)
    (files / "in.csv").write_text("id\n1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.csv").write_text("root:x\n")
    (files / "escape.csv").symlink_to(tmp_path / "outside" / "secret.csv")
    (files / "escape_dir").symlink_to(tmp_path / "outside")
    (tmp_path / "outside" / "back.csv").symlink_to(files / "in.csv")
    return tmp_path


def refused(path: str | Path, user: User, settings: Settings) -> str:
    with pytest.raises(FileOutsideRootsError) as caught:
        check_file_path(str(path), user, settings)
    assert caught.value.status_code == 403
    return caught.value.message


def test_without_roots_a_super_user_may_use_any_path(tree: Path) -> None:
    settings = Settings(data=tree / "data")
    assert roots_for(EMBEDDED_USER, settings) is None
    check_file_path(str(tree / "outside" / "secret.csv"), EMBEDDED_USER, settings)


def test_without_roots_others_stay_in_data_files(tree: Path) -> None:
    settings = Settings(data=tree / "data")
    files = tree / "data" / "files"
    check_file_path(str(files / "in.csv"), LOADER, settings)
    check_file_path(str(files / "missing.csv"), LOADER, settings)
    check_file_path(str(files / "sub" / ".." / "in.csv"), LOADER, settings)
    check_file_path(str(tree / "outside" / "back.csv"), LOADER, settings)  # a link into it
    secret = tree / "outside" / "secret.csv"
    assert refused(secret, LOADER, settings) == (
        f"File path '{secret}' is outside the allowed file roots"
    )


@pytest.mark.parametrize(
    "escape",
    [
        "escape.csv",  # a link to a file outside
        "escape_dir/secret.csv",  # through a linked directory
        "../../outside/secret.csv",  # climbing out
        "../files-not/x.csv",  # a sibling sharing the root's name as a prefix
        "in.csv\x00",
    ],
)
def test_escapes_are_refused(tree: Path, escape: str) -> None:
    settings = Settings(data=tree / "data")
    path = f"{tree / 'data' / 'files'}/{escape}"
    assert refused(path, LOADER, settings) == (
        f"File path '{path}' is outside the allowed file roots"
    )


def test_missing_and_present_files_outside_get_the_same_answer(tree: Path) -> None:
    settings = Settings(data=tree / "data")
    present, missing = tree / "outside" / "secret.csv", tree / "outside" / "nothing.csv"
    assert refused(present, LOADER, settings).replace(str(present), "<p>") == (
        refused(missing, LOADER, settings).replace(str(missing), "<p>")
    )


def test_configured_roots_confine_super_users_too(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tree / "other"
    other.mkdir()
    roots = os.pathsep.join([str(tree / "outside"), str(other)])
    settings = Settings.from_env({"LOADMASTER_FILE_ROOTS": roots}, data=tree / "data")
    assert roots_for(EMBEDDED_USER, settings) == [str(tree / "outside"), str(other)]
    check_file_path(str(tree / "outside" / "secret.csv"), EMBEDDED_USER, settings)
    check_file_path(str(other / "x.csv"), LOADER, settings)
    # Configured roots replace <data>/files, and the links into it count where they lead.
    refused(tree / "data" / "files" / "in.csv", LOADER, settings)
    refused(tree / "outside" / "back.csv", EMBEDDED_USER, settings)
    # A relative path is resolved from the working directory, as the OS opens it.
    monkeypatch.chdir(tree / "outside")
    check_file_path("secret.csv", LOADER, settings)
    refused("../data/files/in.csv", LOADER, settings)


def test_the_default_root_is_created_private(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path)
    create_default_root(settings)
    create_default_root(settings)  # again at the next start
    assert (tmp_path / "files").stat().st_mode & 0o777 == 0o700
