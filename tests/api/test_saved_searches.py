"""Saved searches over real HTTP (issue 15 item 2): per workspace, driving results, the export route and, with one
call, a keyword alert rule."""
from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import served
from tests.api.keys import make_settings
from tests.factories import make_post

POSTS = [make_post(1, "Vaksinasi lansia dimulai", campaigns=["vaksin"]),
         make_post(2, "Hoaks vaksin chip lagi", campaigns=["vaksin"]),
         make_post(3, "KTT ASEAN vaksin delegasi", campaigns=["asean"]),
         make_post(4, "Delegasi KTT dapat booster", campaigns=["asean", "vaksin"])]  # in both workspaces


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with served(make_settings(tmp_path_factory.mktemp("saved"))) as live:
        live.app.state.ctx.store.upsert(POSTS)
        yield live


@pytest.fixture(scope="module")
def saved(api):
    response = api.as_("analyst", "kemkes").post("/saved-searches", json={
        "name": "Vaksin tanpa hoaks", "query": "vaksin -hoaks", "filters": {"campaign": "vaksin"}})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_saved_search_is_listed_run_and_exported_in_its_workspace(api, saved):
    kemkes = api.as_("analyst", "kemkes")
    assert saved["workspace"] == "kemkes" and saved["owner"] == "test-analyst-kemkes"
    assert [s["id"] for s in kemkes.get("/saved-searches").json()] == [saved["id"]]
    run = kemkes.get(f"/saved-searches/{saved['id']}/posts", params={"sort": "oldest"}).json()
    assert [p["native_id"] for p in run["posts"]] == ["1"] and run["total"] == 1
    exported = kemkes.get("/export/posts", params={"saved_search": saved["id"], "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.status_code == 200 and [r["text"] for r in rows] == ["Vaksinasi lansia dimulai"]
    renamed = kemkes.put(f"/saved-searches/{saved['id']}", json={**{k: saved[k] for k in ("query", "filters")},
                                                                 "name": "Vaksin bersih"})
    assert renamed.status_code == 200 and kemkes.get(f"/saved-searches/{saved['id']}").json()["name"] == "Vaksin bersih"


def test_another_workspace_never_sees_or_uses_it(api, saved):
    kemlu = api.as_("analyst", "kemlu")
    assert kemlu.get("/saved-searches").json() == []
    for response in (kemlu.get(f"/saved-searches/{saved['id']}"),
                     kemlu.get(f"/saved-searches/{saved['id']}/posts"),
                     kemlu.get("/export/posts", params={"saved_search": saved["id"]}),
                     kemlu.delete(f"/saved-searches/{saved['id']}"),
                     api.as_("admin", "kemlu").post(f"/saved-searches/{saved['id']}/rules"),
                     kemlu.get("/saved-searches/" + "x" * 600), kemlu.get("/saved-searches/s_%20")):
        assert response.status_code == 404, response.text
    assert api.admin.get(f"/saved-searches/{saved['id']}").status_code == 200  # workspace '*' sees every one


def test_bad_searches_are_refused_with_the_reason(api):
    kemkes = api.as_("analyst", "kemkes")
    bad = kemkes.post("/saved-searches", json={"name": "x", "query": "vaksin AND ("})
    assert bad.status_code == 400 and "position" in bad.json()["message"]
    foreign = kemkes.post("/saved-searches", json={"name": "x", "query": "ktt", "filters": {"campaign": "asean"}})
    assert foreign.status_code == 404
    assert kemkes.post("/saved-searches", json={"name": "", "query": "x"}).status_code == 422
    assert api.as_("pr", "kemkes").post("/saved-searches", json={"name": "x", "query": "x"}).status_code == 403


def test_one_call_turns_a_saved_search_into_a_keyword_rule(api, saved):
    assert api.as_("analyst", "kemkes").post(f"/saved-searches/{saved['id']}/rules").status_code == 403
    admin = api.as_("admin", "kemkes")
    rule = admin.post(f"/saved-searches/{saved['id']}/rules", json={"severity": "high"})
    assert rule.status_code == 201, rule.text
    body = rule.json()
    assert (body["kind"], body["campaign"], body["severity"]) == ("keyword", "vaksin", "high")
    assert body["query"]["all"] == ["vaksin"] and body["query"]["none"] == ["hoaks"]
    assert admin.get(f"/rules/{body['id']}").status_code == 200
    prefix = admin.post("/saved-searches", json={"name": "p", "query": "vaksin*", "filters": {"campaign": "vaksin"}})
    refused = admin.post(f"/saved-searches/{prefix.json()['id']}/rules")
    assert refused.status_code == 422 and "prefixes" in refused.json()["message"]


def test_the_campaign_operator_stays_in_the_workspace_over_http(api):
    """Post 4 is in kemlu's asean and kemkes's vaksin: kemlu must not learn the second, with or without a
    campaign filter beside the query."""
    kemlu = api.as_("analyst", "kemlu")
    for params in ({"q": "campaign:vaksin"}, {"q": "campaign:vaksin", "campaign": "asean"},
                   {"q": "booster campaign:vaksin", "campaign": "asean"}):
        assert kemlu.get("/posts", params=params).json()["total"] == 0, params
    assert kemlu.get("/posts", params={"q": "NOT campaign:vaksin", "campaign": "asean"}).json()["total"] == 2
    assert api.admin.get("/posts", params={"q": "campaign:vaksin booster"}).json()["total"] == 1
