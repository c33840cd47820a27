"""Per-version values live in one snapshot per data version: computed once, swapped whole."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from server.web.snapshot import Snapshot, Snapshots

WHEN = datetime(2026, 12, 6, tzinfo=UTC)


def test_a_value_is_computed_once_however_many_ask_at_once() -> None:
    snap = Snapshot("v1", WHEN)
    calls: list[int] = []
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "built"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(snap.get("site", slow))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    assert started.wait(10)
    release.set()
    for t in threads:
        t.join(10)
    assert results == ["built"] * 8
    assert calls == [1]


def test_a_failure_is_not_kept() -> None:
    snap = Snapshot("v1", WHEN)

    def down() -> str:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        snap.get("releases", down)
    assert snap.get("releases", lambda: "back") == "back"


def test_a_new_version_gets_a_new_snapshot_and_the_old_one_keeps_its_values() -> None:
    snapshots = Snapshots()
    old = snapshots.of("v1", WHEN)
    assert snapshots.of("v1", WHEN) is old
    assert old.get("supers", lambda: {"a": 1}) == {"a": 1}
    new = snapshots.of("v2", WHEN)
    assert new is not old and new.version == "v2"
    assert new.get("supers", lambda: {"b": 2}) == {"b": 2}
    assert old.get("supers", lambda: {"never": 0}) == {"a": 1}  # a reader of v1 sees v1
