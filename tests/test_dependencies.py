"""The declared dependencies install and import together, within their pins."""

from importlib.metadata import version

from packaging.version import Version


def test_the_stack_imports_together():
    import apprise  # noqa: F401
    import icalendar  # noqa: F401
    import prefect  # noqa: F401
    import sqlmodel  # noqa: F401
    from prefect.server.api.server import create_app  # the module that breaks with FastAPI >= 0.155

    assert callable(create_app)


def test_pins_hold():
    assert Version("3.8") <= Version(version("prefect")) < Version("3.9")
    assert Version(version("fastapi")) < Version("0.151")  # see pyproject.toml: 0.151 breaks Prefect 3.8's API
    assert Version(version("pydantic")).major == 2
