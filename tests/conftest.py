"""Shared fixtures. ES-backed tests need a real node (scripts/test.sh starts one on 127.0.0.1:9201).

Where no node is reachable they skip with the reason, unless CI=true or NW_REQUIRE_ES=1: then they fail, so CI
can never go green by silently skipping the Elasticsearch half of the contract.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from service.store.sqlite import SQLiteStore

ES_URL = os.environ.get("NW_TEST_ES_URL", "http://127.0.0.1:9201")

# scripts/test.sh runs the suite on two pytest-xdist processes with --dist loadgroup. Each test file is one group, so
# a module's fixtures (the demo corpus, a served app) are built once, on one process; the files that score the
# shipped models share one group, so the evaluation (cached in-process by classifiers.evaluation) runs once.
EVALUATION_FILES = {"test_metrics.py", "test_social_metrics.py", "test_cli.py"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        name = item.path.name
        group = "evaluation" if item.path.parent.name == "classifiers" and name in EVALUATION_FILES else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))


def es_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("NW_REQUIRE_ES") == "1"


def es_client_or_skip():
    from elasticsearch import Elasticsearch

    client = Elasticsearch(ES_URL, request_timeout=30)
    try:
        client.cluster.health(wait_for_status="yellow", timeout="30s")
    except Exception as exc:  # noqa: BLE001 - any failure means "no node"
        reason = f"no Elasticsearch node at {ES_URL} ({type(exc).__name__}); run via scripts/test.sh, which starts one"
        if es_required():
            pytest.fail(f"Elasticsearch is required here (CI/NW_REQUIRE_ES) but unavailable: {reason}")
        pytest.skip(reason)
    return client


@pytest.fixture(scope="session")
def es_url() -> str:
    es_client_or_skip()
    return ES_URL


def _sqlite(tmp_path):
    store = SQLiteStore(tmp_path / "store.db")
    store.init()
    return store


def _elastic(tmp_path):
    from service.store.elastic import ElasticStore

    es_client_or_skip()
    store = ElasticStore(ES_URL, index=f"nwtest-{uuid.uuid4().hex[:10]}", refresh=True)
    store.init()
    return store


BACKENDS = {"sqlite": _sqlite, "elasticsearch": _elastic}


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def store(request, tmp_path) -> Iterator:
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    if request.param == "elasticsearch":
        backend.drop()
    backend.close()


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def state_settings(request, tmp_path) -> Iterator:
    """Settings whose shared state (service/store/documents.py, events.py) lives on each backend in turn: a fresh
    state.db, or a fresh `<index>-state-*` family on the test node (deleted afterwards)."""
    from service.config import Settings

    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path, store="sqlite", config_file=None)
        return
    client = es_client_or_skip()
    index = f"nwtest-{uuid.uuid4().hex[:10]}"
    yield Settings(data_dir=tmp_path, store="elasticsearch", es_url=ES_URL, es_index=index, config_file=None)
    drop_state_indices(client, index)


def drop_state_indices(client, prefix: str) -> None:
    """Delete `<prefix>-state-*` by name (the node refuses wildcard deletes)."""
    if names := list(client.indices.get(index=f"{prefix}-state-*", expand_wildcards="all")):
        client.indices.delete(index=names)
