"""The job runtime's public surface is what its __all__ says."""

import loadmaster.actors


def test_public_surface() -> None:
    assert sorted(loadmaster.actors.__all__) == [
        "JobRecord",
        "JobSystem",
        "get_job_view",
        "now_ms",
    ]
    for name in loadmaster.actors.__all__:
        assert hasattr(loadmaster.actors, name), name
