"""The search language answers the same on SQLite and a real Elasticsearch node: one table of queries and the
posts each must find, run unchanged against both backends (the texts are ours, written for this test)."""
from __future__ import annotations

import pytest

from service.store.base import Page, PostQuery
from service.store.query import QuerySyntaxError
from tests.conftest import BACKENDS
from tests.factories import make_post

POSTS = {
    "h1": ("Hotel gratis untuk semua delegasi KTT ASEAN, daftar sekarang", {"campaigns": ["asean"]}),
    "h2": ("Hotel resmi delegasi sudah disiapkan panitia di Jakarta", {"campaigns": ["asean"], "author": "@panitia"}),
    "v1": ("Vaksinasi massal dimulai hari ini di puskesmas", {"campaigns": ["vaksin"], "hashtags": ["VaksinAman"]}),
    "v2": ("Vaccine rollout continues across Java", {"campaigns": ["vaksin"], "lang": "en", "platform": "bluesky"}),
    "v3": ("Hoaks: vaksin berisi microchip pelacak", {"campaigns": ["vaksin"], "platform": "telegram",
                                                   "links": ["https://news.kompas.com/cek-fakta/1"]}),
    "v4": ("Microchip di lengan? Itu hoaks lama, vaksinnya aman", {"campaigns": ["vaksin"], "author": "dokter"}),
    "g1": ("Harga beras naik, warga antre gratis sembako", {"campaigns": ["other"], "title": "Sembako gratis",
                                                          "links": ["https://www.detik.com/x"]}),
    "s1": ("Booster untuk para delegasi", {"campaigns": ["asean", "vaksin"]}),  # seen by both workspaces
}

# query -> the posts it must find, exactly
TABLE = {
    "hotel -gratis": {"h2"},
    "hotel NOT gratis": {"h2"},
    "vaksin OR vaccine": {"v1", "v2", "v3", "v4"},
    "microchip AND hoaks": {"v3", "v4"},
    "vaksin*": {"v1", "v3", "v4"},
    "vaksin": {"v1", "v3", "v4"},  # stems: vaksinasi, vaksinnya
    '"hotel gratis"': {"h1"},
    '"gratis hotel"': set(),
    '"sembako gratis"': {"g1"},  # in the title
    '"gratis harga"': set(),  # the title's last word and the text's first are not a phrase
    "(hotel OR beras) -delegasi": {"g1"},
    "hotel delegasi OR panitia": {"h1", "h2"},
    "-vaksin -hotel": {"v2", "g1", "s1"},
    "author:panitia": {"h2"},
    "author:@dokter": {"v4"},
    "platform:telegram OR platform:bluesky": {"v2", "v3"},
    "lang:en": {"v2"},
    "lang:in": {"h1", "h2", "v1", "v3", "v4", "g1", "s1"},  # X's code for Indonesian
    "hashtag:#vaksinaman": {"v1"},
    "domain:kompas.com": {"v3"},
    "domain:detik.com gratis": {"g1"},
    "campaign:vaksin microchip": {"v3", "v4"},
    "campaign:(asean OR other) gratis": {"h1", "g1"},
    "NOT campaign:vaksin": {"h1", "h2", "g1"},
    "campaign:vaksin delegasi": {"s1"},
    "covid-19": set(),
    "dimulai": {"v1"},
    "vaksinnya": {"v1", "v3", "v4"},
}


@pytest.fixture(scope="module", params=list(BACKENDS), ids=list(BACKENDS))
def loaded(request, tmp_path_factory):
    """One loaded store per backend for the whole module: every test here only reads."""
    store = BACKENDS[request.param](tmp_path_factory.mktemp(request.param))
    store.upsert([make_post(i, text, **fields) for i, (text, fields) in enumerate(POSTS.values())])
    yield store
    if request.param == "elasticsearch":
        store.drop()
    store.close()


def _found(store, text: str, **filters) -> set[str]:
    ids = {make_post(i).id: key for i, key in enumerate(POSTS)}
    result = store.search(PostQuery(text=text, **filters), Page(limit=50))
    assert result.total == len(result.posts) == store.count(PostQuery(text=text, **filters))
    return {ids[p.id] for p in result.posts}


def test_query_table(loaded):
    wrong = {q: (_found(loaded, q), want) for q, want in TABLE.items() if _found(loaded, q) != want}
    assert not wrong, wrong


def test_relevance_sort_keeps_the_same_posts(loaded):
    for q in ("vaksin OR vaccine OR author:panitia", "hotel -gratis"):
        ranked = loaded.search(PostQuery(text=q), Page(limit=50, sort="relevance")).posts
        assert {p.id for p in ranked} == {p.id for p in loaded.search(PostQuery(text=q), Page(limit=50)).posts}


def test_campaign_operator_never_reaches_outside_the_scope(loaded):
    """A workspace's queries carry its campaigns (`campaigns`): `campaign:` naming another workspace's campaign
    finds nothing, and NOT of it finds everything in scope, so it neither widens nor reveals anything: s1 is in
    both workspaces, and asean's analysts must not learn that it is also in vaksin's campaign."""
    scope = {"campaigns": ["asean"]}
    assert _found(loaded, "campaign:vaksin", **scope) == set()
    assert _found(loaded, "campaign:vaksin OR hotel", **scope) == {"h1", "h2"}
    assert _found(loaded, "NOT campaign:vaksin", **scope) == {"h1", "h2", "s1"}
    assert _found(loaded, "campaign:asean gratis", **scope) == {"h1"}
    assert _found(loaded, "campaign:vaksin delegasi") == {"s1"}  # unscoped (workspace *): it is there


def test_filters_narrow_a_text_search(loaded):
    """The request's filters beside the language (GET /posts?platform=...): exact values, ANDed with the query."""
    assert _found(loaded, "vaksin OR vaccine", platform="telegram") == {"v3"}
    assert _found(loaded, "vaksin OR vaccine", lang="en") == {"v2"}
    assert _found(loaded, "vaksin OR vaccine", author="dokter") == {"v4"}
    assert _found(loaded, "vaksin OR vaccine", author="@dokter") == set()
    assert _found(loaded, "-vaksin -hotel", campaign="asean") == {"s1"}
    assert _found(loaded, "delegasi", campaigns=["vaksin"], campaign="asean") == {"s1"}
    assert _found(loaded, "delegasi", campaigns=[]) == set()
    assert _found(loaded, "vaksin", platform="Telegram") == set()


def test_terms_and_histogram_follow_the_query(loaded):
    assert dict(loaded.terms(PostQuery(text="vaksin OR vaccine"), "platform")) == {"mastodon": 2, "telegram": 1,
                                                                                  "bluesky": 1}
    assert sum(n for _, n in loaded.histogram(PostQuery(text="hotel -gratis"), "hour")) == 1
    assert len(list(loaded.scan(PostQuery(text="microchip AND hoaks")))) == 2


def test_posts_stored_before_the_search_language_are_reanalysed_at_init(store):
    """An existing deployment: posts written without the analysed fields are found once the store starts."""
    post = make_post(1, "Vaksinasi lansia", links=["https://kompas.com/a"])
    if hasattr(store, "es"):
        store.es.index(index=store.index, id=post.id, refresh=True, document=post.model_dump(mode="json"))
    else:
        store.upsert([post])
        store.db.execute("DELETE FROM posts_search")
        store.db.execute("PRAGMA user_version = 1")
    assert store.count(PostQuery(text="vaksin")) == 0
    store.init()
    if hasattr(store, "es"):
        store.es.indices.refresh(index=store.index)
    assert store.count(PostQuery(text="vaksin domain:kompas.com")) == 1 and store.get(post.id) == post


@pytest.mark.parametrize("bad", ['"unclosed', "(vaksin OR", "vaksin AND", "x:[1 TO 2]", "vaksin~2", "va?sin",
                                 "*", "nope:vaksin", "&&", "hotel^3", "-" * 1990 + "a", "(" * 40 + "a" + ")" * 40])
def test_bad_syntax_is_a_query_error_with_a_position(loaded, bad):
    with pytest.raises(QuerySyntaxError) as err:
        loaded.search(PostQuery(text=bad))
    assert 0 <= err.value.position <= len(bad) and "position" in str(err.value)
