"""Feature probe for the local ES node started by scripts/es_node.sh.

Usage: .venv/bin/python scripts/es/verify_es.py [URL]     (default http://127.0.0.1:${ES_PORT:-9201})
Prints one line per feature: OK / FAIL <reason>. Exit code 0 if all *required* features work.
Creates and deletes indices named nw-probe-*.
"""
import os
import sys
import traceback

from elasticsearch import Elasticsearch, helpers

URL = sys.argv[1] if len(sys.argv) > 1 else f"http://127.0.0.1:{os.environ.get('ES_PORT', '9201')}"
es = Elasticsearch(URL, request_timeout=60)
IDX = "nw-probe-docs"
results = []  # (name, ok, detail, required)


def check(name, required=True):
    def deco(fn):
        try:
            detail = fn()
            results.append((name, True, detail or "", required))
        except Exception as e:  # noqa: BLE001
            msg = getattr(e, "message", None) or str(e)
            info = getattr(e, "info", None)
            if isinstance(info, dict) and "error" in info:
                err = info["error"]
                msg = err.get("root_cause", [err])[0].get("reason", msg) if isinstance(err, dict) else str(err)
            results.append((name, False, f"{type(e).__name__}: {msg}"[:300], required))
        return fn
    return deco


for i in es.indices.get(index="nw-probe-*").keys():
    es.indices.delete(index=i)
try:
    es.indices.delete_index_template(name="nw-probe-tpl")
except Exception:
    pass


@check("info + X-Elastic-Product check (client)")
def _():
    return es.info()["version"]["number"]


@check("cluster.health wait_for_status=yellow")
def _():
    return es.cluster.health(wait_for_status="yellow", timeout="30s")["status"]


@check("index template with mappings + custom standard analyzer with stopwords")
def _():
    es.indices.put_index_template(
        name="nw-probe-tpl",
        index_patterns=["nw-probe-*"],
        template={
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "analysis": {"analyzer": {"std_stop": {"type": "standard", "stopwords": ["yang", "dan", "the"]}}},
            },
            "mappings": {
                "properties": {
                    "title": {"type": "text", "analyzer": "std_stop"},
                    "body": {"type": "text"},
                    "tag": {"type": "keyword"},
                    "ts": {"type": "date"},
                    "n": {"type": "integer"},
                    "flag": {"type": "boolean"},
                    "score": {"type": "float"},
                }
            },
        },
    )
    es.indices.create(index=IDX)
    m = es.indices.get_mapping(index=IDX)[IDX]["mappings"]["properties"]
    assert m["title"]["analyzer"] == "std_stop", m
    return ",".join(sorted(f"{k}:{v['type']}" for k, v in m.items()))


@check("create index with explicit mappings")
def _():
    es.indices.create(index="nw-probe-explicit", mappings={"properties": {"a": {"type": "keyword"}, "f": {"type": "float"}}})
    return "ok"


@check("helpers.bulk with explicit _id + refresh")
def _():
    words = ["hoaks vaksin", "banjir jakarta", "pemilu curang", "vaksin chip", "harga beras"]
    actions = [
        {
            "_index": IDX,
            "_id": f"d{i}",
            "_source": {
                "title": f"Berita {words[i % 5]} yang viral dan {i}",
                "body": f"{words[i % 5]} {'vaksin mengandung chip magnet' if i % 5 in (0, 3) else 'cuaca cerah hari ini'} dokumen {i}",
                "tag": ["health", "disaster", "politics", "health", "economy"][i % 5],
                "ts": f"2024-0{1 + i % 3}-1{i % 9}T10:00:00Z",
                "n": i,
                "flag": i % 2 == 0,
                "score": i / 10,
            },
        }
        for i in range(50)
    ]
    ok, errors = helpers.bulk(es, actions, refresh="wait_for")
    es.indices.refresh(index=IDX)
    assert ok == 50 and not errors, (ok, errors)
    return f"{ok} indexed"


@check("count")
def _():
    c = es.count(index=IDX)["count"]
    assert c == 50, c
    return c


@check("mget")
def _():
    r = es.mget(index=IDX, ids=["d1", "d2", "nope"])
    found = [d["found"] for d in r["docs"]]
    assert found == [True, True, False], found
    return found


@check("search bool/filter/match/multi_match/range")
def _():
    r = es.search(
        index=IDX,
        query={
            "bool": {
                "must": [{"multi_match": {"query": "vaksin chip", "fields": ["title^2", "body"]}}],
                "should": [{"match": {"body": "magnet"}}],
                "filter": [{"term": {"tag": "health"}}, {"range": {"ts": {"gte": "2024-01-01", "lt": "2024-12-31"}}},
                           {"range": {"n": {"gte": 0, "lte": 40}}}, {"term": {"flag": True}}],
            }
        },
        size=5,
        sort=[{"_score": "desc"}, {"n": "asc"}],
        highlight={"fields": {"body": {}}},
    )
    assert r["hits"]["total"]["value"] > 0
    return f"hits={r['hits']['total']['value']} highlight={'highlight' in r['hits']['hits'][0]}"


@check("aggs terms + date_histogram (+ cardinality, top_hits)")
def _():
    r = es.search(index=IDX, size=0, aggs={
        "tags": {"terms": {"field": "tag", "size": 10}, "aggs": {"top": {"top_hits": {"size": 1}}}},
        "per_month": {"date_histogram": {"field": "ts", "calendar_interval": "month"}},
        "uniq": {"cardinality": {"field": "tag"}},
    })
    a = r["aggregations"]
    return f"terms={len(a['tags']['buckets'])} months={len(a['per_month']['buckets'])} card={a['uniq']['value']}"


@check("significant_text aggregation")
def _():
    r = es.search(index=IDX, size=0, query={"term": {"tag": "health"}},
                  aggs={"sig": {"significant_text": {"field": "body", "size": 5}}})
    return [b["key"] for b in r["aggregations"]["sig"]["buckets"]]


@check("scroll + clear_scroll")
def _():
    r = es.search(index=IDX, scroll="1m", size=20, query={"match_all": {}})
    n, sid = len(r["hits"]["hits"]), r["_scroll_id"]
    while True:
        r = es.scroll(scroll_id=sid, scroll="1m")
        if not r["hits"]["hits"]:
            break
        n += len(r["hits"]["hits"])
        sid = r["_scroll_id"]
    es.clear_scroll(scroll_id=sid)
    assert n == 50, n
    return n


@check("point-in-time + search_after")
def _():
    pit = es.open_point_in_time(index=IDX, keep_alive="1m")["id"]
    n, after = 0, None
    while True:
        kw = {"search_after": after} if after else {}
        r = es.search(pit={"id": pit, "keep_alive": "1m"}, size=20, sort=[{"n": "asc"}], **kw)
        hits = r["hits"]["hits"]
        if not hits:
            break
        n += len(hits)
        after = hits[-1]["sort"]
        pit = r["pit_id"]
    es.close_point_in_time(id=pit)
    assert n == 50, n
    return n


@check("update (partial doc), get, delete, exists")
def _():
    es.update(index=IDX, id="d1", doc={"flag": True}, refresh=True)
    assert es.get(index=IDX, id="d1")["_source"]["flag"] is True
    es.index(index=IDX, id="tmp", document={"n": 1}, refresh=True)
    es.delete(index=IDX, id="tmp", refresh=True)
    assert not es.exists(index=IDX, id="tmp")
    return "ok"


@check("delete_by_query (re-implemented in RestExtrasPlugin)")
def _():
    r = es.delete_by_query(index=IDX, query={"range": {"n": {"gte": 45}}}, refresh=True, conflicts="proceed")
    assert r["deleted"] == 5, r
    c = es.count(index=IDX)["count"]
    assert c == 45, c
    return f"deleted={r['deleted']} remaining={c}"


@check("analyzer: custom standard + stopwords", required=True)
def _():
    toks = [t["token"] for t in es.indices.analyze(index=IDX, analyzer="std_stop", text="Hoaks yang Viral dan The End")["tokens"]]
    assert toks == ["hoaks", "viral", "end"], toks
    return toks


@check("token filter lowercase (built into server)")
def _():
    return [t["token"] for t in es.indices.analyze(tokenizer="standard", filter=["lowercase"], text="ÉLAN Vital")["tokens"]]


@check("token filter asciifolding (MiniAnalysisPlugin)", required=False)
def _():
    toks = [t["token"] for t in es.indices.analyze(tokenizer="standard", filter=["lowercase", "asciifolding"], text="ÉLAN Café")["tokens"]]
    assert toks == ["elan", "cafe"], toks
    return toks


@check("token filter stemmer language=indonesian (MiniAnalysisPlugin)", required=False)
def _():
    toks = [t["token"] for t in es.indices.analyze(tokenizer="standard", filter=["lowercase", {"type": "stemmer", "language": "indonesian"}],
                                                   text="Pemberitaan menyebarkan kebohongan")["tokens"]]
    return toks


@check("token filter stemmer language=english (MiniAnalysisPlugin)", required=False)
def _():
    return [t["token"] for t in es.indices.analyze(tokenizer="standard", filter=[{"type": "stemmer", "language": "english"}], text="running hoaxes")["tokens"]]


@check("analyzer indonesian (MiniAnalysisPlugin)", required=False)
def _():
    return [t["token"] for t in es.indices.analyze(analyzer="indonesian", text="Pemerintah membantah berita yang menyebarkan kebohongan")["tokens"]]


@check("index with custom analyzer using lowercase+asciifolding+indonesian stemmer", required=False)
def _():
    es.indices.create(index="nw-probe-id", settings={"analysis": {
        "filter": {"id_stem": {"type": "stemmer", "language": "indonesian"}, "id_stop": {"type": "stop", "stopwords": "_indonesian_"}},
        "analyzer": {"id_text": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "id_stop", "id_stem"]}},
        "normalizer": {"kw_norm": {"type": "custom", "filter": ["lowercase", "asciifolding"]}}}},
        mappings={"properties": {"t": {"type": "text", "analyzer": "id_text"}, "k": {"type": "keyword", "normalizer": "kw_norm"},
                                 "t2": {"type": "text", "analyzer": "indonesian"}}})
    es.index(index="nw-probe-id", id="1", document={"t": "Menyebarkan berita", "k": "Café", "t2": "kebohongan"}, refresh=True)
    a = es.count(index="nw-probe-id", query={"match": {"t": "sebar"}})["count"]
    b = es.count(index="nw-probe-id", query={"term": {"k": "CAFE"}})["count"]
    c = es.count(index="nw-probe-id", query={"match": {"t2": "bohong"}})["count"]
    assert (a, b, c) == (1, 1, 1), (a, b, c)
    return "stemmed match, normalized keyword, indonesian analyzer field all hit"


@check("percolator field type", required=False)
def _():
    es.indices.create(index="nw-probe-perc", mappings={"properties": {"q": {"type": "percolator"}, "body": {"type": "text"}}})
    return "ok"


@check("script (painless) in update", required=False)
def _():
    es.update(index=IDX, id="d2", script={"source": "ctx._source.n += 1", "lang": "painless"})
    return "ok"


@check("update_by_query (reindex module)", required=False)
def _():
    es.update_by_query(index=IDX, query={"term": {"tag": "economy"}}, refresh=True)
    return "ok"


@check("match_only_text / scaled_float / rank_feature (mapper-extras module)", required=False)
def _():
    es.indices.create(index="nw-probe-extras", mappings={"properties": {"m": {"type": "match_only_text"}}})
    return "ok"


for i in es.indices.get(index="nw-probe-*").keys():
    es.indices.delete(index=i)
es.indices.delete_index_template(name="nw-probe-tpl")

bad_required = 0
for name, ok, detail, required in results:
    print(f"{'OK  ' if ok else 'FAIL'} {'' if required else '(optional) '}{name}: {detail}")
    if required and not ok:
        bad_required += 1
print(f"{sum(r[1] for r in results)} passed, {sum(not r[1] for r in results)} failed")
sys.exit(1 if bad_required else 0)
