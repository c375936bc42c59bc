"""schemathesis against the app's own OpenAPI over real HTTP, on both backends and with every role.

Every phase runs (explicit examples, coverage: boundary and invalid values of each parameter, fuzzing), and the
cases of each operation take turns with the keys (admin, analyst, pr, leadership, and an analyst scoped to one
workspace): no 5xx, except 503 while the store really is down, and responses match the documented schema.
Bounded and reproducible: derandomized, a few fuzzed examples per operation.
"""
from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import response_schema_conformance

from service.api.app import create_app
from service.api.auth import AuthConfig
from service.store import Store
from tests.api.keys import make_key, make_settings
from tests.conftest import ES_URL, es_client_or_skip
from tests.factories import make_post
from bench.loopback import serve

ROLES = [("admin", "*"), ("analyst", "*"), ("pr", "*"), ("leadership", "*"), ("analyst", "kemkes")]
ROLE_NAMES = [f"{role}@{ws}" for role, ws in ROLES]


# The coverage phase (every boundary and invalid value of each parameter) runs on the reads, where query
# parameters such as since/until/offset/campaign used to answer 500; writes get the examples and fuzzing phases
# (their bodies' coverage cases alone took longer than the rest of the suite's API tests).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"operations": [
    {"include-method": ["POST", "PUT", "PATCH", "DELETE"], "phases": {"coverage": {"enabled": False}}}]})


@dataclass
class Live:
    url: str
    keys: dict[str, str]
    store: Store
    turn: Iterator[int] = field(default_factory=itertools.count)


@pytest.fixture(scope="module", params=["sqlite", "elasticsearch"])
def live(request, tmp_path_factory):
    cfg = make_settings(tmp_path_factory.mktemp(f"fuzz-{request.param}"))
    if request.param == "elasticsearch":
        es_client_or_skip()
        cfg = cfg.model_copy(update={"store": "elasticsearch", "es_url": ES_URL,
                                     "es_index": f"nwtest-fuzz-{uuid.uuid4().hex[:8]}"})
    app = create_app(cfg, auth_config=AuthConfig(rate_per_second=100_000, burst=100_000))  # 429s would hide bugs
    with serve(app) as url:
        keys = {name: make_key(cfg, role, ws) for name, (role, ws) in zip(ROLE_NAMES, ROLES)}
        posts = [make_post(i, campaigns=["asean" if i % 2 else "vaksin"]).model_dump(mode="json") for i in range(30)]
        httpx.post(f"{url}/posts", json=posts, headers={"X-API-Key": keys["admin@*"]}, timeout=60).raise_for_status()
        store = app.state.ctx.store
        yield Live(url, keys, store)
        if request.param == "elasticsearch":
            store.drop()


@pytest.fixture(scope="module")
def api_schema(live):
    return schemathesis.openapi.from_url(f"{live.url}/openapi.json", config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


def no_server_error(live: Live, key: str, response) -> None:
    """A 5xx is a bug, except 503 when the store is actually unreachable (it must then answer 503, not 500)."""
    if response.status_code < 500:
        return
    if response.status_code == 503 and not live.store.ping():
        return
    request = response.request
    raise AssertionError(f"{response.status_code} for {key}: {request.method} {request.url}\n{response.text[:500]}")


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)  # reproducible CI
def test_no_server_errors_and_schema_conformance(case, live):
    if case.path.endswith("/stream"):
        pytest.skip("an endless Server-Sent Events stream has no response to validate (tested in tests/alerts)")
    key_name = ROLE_NAMES[next(live.turn) % len(ROLE_NAMES)]  # each operation's cases go round the roles
    response = case.call(base_url=live.url, headers={"X-API-Key": live.keys[key_name]}, timeout=30)
    no_server_error(live, key_name, response)
    case.validate_response(response, checks=[response_schema_conformance])
