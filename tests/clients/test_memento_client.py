"""A real Memento client (LANL's memento_client, as used by the Time Travel service)
follows our TimeGate and TimeMap on a socket, from the original resource's Link header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.clients.conftest import REPORT
from tests.conftest import on_socket
from tests.test_releases import NEW_LABEL, OLD_LABEL, two_releases

pytestmark = pytest.mark.clients


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import dataclasses

    from server.web.app import create_app

    project = two_releases(tmp_path_factory.mktemp("memento"))
    config = project["config"]
    with on_socket(
        lambda url: create_app(dataclasses.replace(config, public_url=url + "/"))  # type: ignore[type-var]
    ) as url:
        yield url


def test_memento_client_finds_the_state_at_a_datetime(site: str) -> None:
    import requests
    from memento_client import MementoClient, __version__  # type: ignore[import-untyped]

    REPORT["memento_client"] = __version__
    # A TimeGate of the client's own default would be a service on the internet: the
    # client must find ours from the original resource (check_native_timegate).
    client = MementoClient(timegate_uri=site + "/no-aggregator/", check_native_timegate=True)
    original = site + "/id/charta"
    info = client.get_memento_info(original, datetime(2026, 8, 1, 12, 0))
    assert info["original_uri"] == original
    assert info["timegate_uri"] == site + "/timegate/id/charta"
    closest = info["mementos"]["closest"]
    assert closest["uri"] == [site + "/version/1.0/id/charta"]
    assert closest["datetime"] == datetime(2026, 3, 2, 9, 30)
    assert info["mementos"]["first"]["uri"] == [site + "/version/1.0/id/charta"]
    assert info["mementos"]["last"]["uri"] == [site + "/version/2.0/id/charta"]
    then = requests.get(closest["uri"][0], headers={"Accept": "text/turtle"}, timeout=10)
    assert OLD_LABEL in then.text and NEW_LABEL not in then.text
    assert client.is_memento(closest["uri"][0])
    assert client.is_timegate(site + "/timegate/id/charta")
    later = client.get_memento_info(original, datetime(2026, 12, 1))
    assert later["mementos"]["closest"]["uri"] == [site + "/version/2.0/id/charta"]
