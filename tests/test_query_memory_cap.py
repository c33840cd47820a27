"""A query worker whose memory cap cannot be set is never started in silence (issue 25).

The cap was set with every error swallowed: a system that refused it ran
untrusted queries with no memory limit and said nothing. The policy is a
setting: CHARTA_QUERY_MEMORY_REQUIRED refuses to start such workers (and
'charta serve' refuses to start); without it they start, and the start-up line
and the log say so. A cap the system refuses is made here by asking for more
than setrlimit can hold (2^44 MB beyond the data overflows its 64-bit limit).
"""

from __future__ import annotations

import logging

import pytest

from server.config import Config
from server.pipeline.backends import backend_for
from server.sparql.sandbox import probe_memory_cap
from server.web.app import create_app
from tests.conftest import ROOT

IMPOSSIBLE_MB = 2**44


def test_a_cap_the_system_allows_is_set() -> None:
    assert probe_memory_cap(1024) == ""
    said = backend_for(Config(root=ROOT).validated()).protection(Config(root=ROOT).validated())
    assert "1024 MB beyond the data" in said and "memory cannot be capped" not in said


def test_required_cap_that_cannot_be_set_refuses_workers_and_serve() -> None:
    config = Config(
        root=ROOT, testing=True, query_memory_mb=IMPOSSIBLE_MB, query_memory_required=True
    ).validated()
    refused, _ = backend_for(config).refusal(config)
    assert refused is not None and "memory cannot be capped" in refused
    assert "setrlimit" in refused
    client = create_app(config).test_client()
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "*/*"})
    assert r.status_code == 503
    assert "refused to start" in r.get_data(as_text=True)


def test_without_the_policy_uncapped_workers_start_and_say_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = Config(root=ROOT, testing=True, query_memory_mb=IMPOSSIBLE_MB).validated()
    assert backend_for(config).refusal(config)[0] is None
    assert "WARNING: query workers' memory cannot be capped" in backend_for(config).protection(
        config
    )
    client = create_app(config).test_client()
    with caplog.at_level(logging.WARNING, logger="server.sparql.sandbox"):
        r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "*/*"})
    assert r.status_code == 200
    assert any("without a memory cap" in rec.getMessage() for rec in caplog.records)
