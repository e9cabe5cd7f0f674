"""The declared dependencies install and import together, within their pins."""

from importlib.metadata import version

import pytest
from packaging.version import Version


@pytest.mark.slow  # imports all of Prefect, its server app included
def test_the_stack_imports_together():
    import apprise  # noqa: F401
    import icalendar  # noqa: F401
    import prefect  # noqa: F401
    import sqlmodel  # noqa: F401
    from prefect.server.api.server import create_app  # Prefect 3.8's broke here with FastAPI >= 0.155

    assert callable(create_app)


def test_pins_hold():
    assert Version("3.9.1") <= Version(version("prefect")) < Version("3.10")
    # held by Prefect 3.9's own requirements, not ours (see pyproject.toml): from 0.151 its server
    # answers 422 to the null offset/limit its client sends (tests/test_flows.py reads artifacts so)
    assert Version(version("fastapi")) < Version("0.151")
    assert Version(version("pydantic")).major == 2
