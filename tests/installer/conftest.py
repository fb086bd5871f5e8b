import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bundle: builds the installer bundle (installer/build, ~5 min on two "
        "cores, unless dist/mocap_app is newer than its sources) and runs it")
