from __future__ import annotations

import pytest

from hashstop.matching import wait_until_compiled


@pytest.fixture(scope="session", params=["numpy", "compiled"])
def engine(request: pytest.FixtureRequest) -> str:
    """Both search paths must give the same, exact answers."""
    if request.param == "compiled" and not wait_until_compiled():
        pytest.fail("the numba kernel did not compile")
    return str(request.param)
