"""Regenerate narrawatch.ndjson (Kibana 8.x saved objects): `python kibana/build_ndjson.py`.

Legacy aggregation-based visualisations (stable import format across 8.x) on a data view over the narrawatch
index with created_at as the time field, and one dashboard.
"""
from __future__ import annotations

import json
from pathlib import Path

DATA_VIEW = "narrawatch-posts"
REF = [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": DATA_VIEW}]
SEARCH = json.dumps({"query": {"query": "", "language": "kuery"}, "filter": [],
                     "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"})


def date_hist(id_: str) -> dict:
    return {"id": id_, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": "created_at", "useNormalizedEsInterval": True, "interval": "auto",
                       "drop_partials": False, "min_doc_count": 1, "extended_bounds": {}}}


def vis(id_: str, title: str, vis_type: str, aggs: list[dict], params: dict) -> dict:
    return {"type": "visualization", "id": id_, "attributes": {
        "title": title, "description": "", "version": 1, "uiStateJSON": "{}",
        "visState": json.dumps({"title": title, "type": vis_type, "aggs": aggs, "params": params}),
        "kibanaSavedObjectMeta": {"searchSourceJSON": SEARCH}}, "references": REF}


def line_params(mode: str = "normal") -> dict:
    return {"type": "line", "addTooltip": True, "addLegend": True, "legendPosition": "right", "times": [],
            "grid": {"categoryLines": False},
            "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True,
                              "scale": {"type": "linear"}, "labels": {"show": True, "filter": True, "truncate": 100},
                              "title": {}}],
            "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left",
                           "show": True, "scale": {"type": "linear", "mode": mode},
                           "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                           "title": {"text": "Posts"}}],
            "seriesParams": [{"show": True, "type": "line", "mode": "normal", "data": {"label": "Posts", "id": "1"},
                              "valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": True, "lineWidth": 2,
                              "interpolate": "linear", "showCircles": True}]}


def objects() -> list[dict]:
    count = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}
    data_view = {"type": "index-pattern", "id": DATA_VIEW, "attributes": {
        "title": "narrawatch", "name": "narrawatch posts", "timeFieldName": "created_at"}, "references": []}
    sentiment = vis("narrawatch-sentiment-over-time", "Sentiment over time (narrawatch)", "line", [
        count, date_hist("2"),
        {"id": "3", "enabled": True, "type": "terms", "schema": "group",
         "params": {"field": "classification.sentiment", "size": 3, "order": "desc", "orderBy": "1",
                    "otherBucket": False, "missingBucket": False}}], line_params())
    volume = vis("narrawatch-volume", "Post volume per campaign (narrawatch)", "histogram", [
        count, date_hist("2"),
        {"id": "3", "enabled": True, "type": "terms", "schema": "group",
         "params": {"field": "campaigns", "size": 10, "order": "desc", "orderBy": "1", "otherBucket": True,
                    "otherBucketLabel": "Other", "missingBucket": False}}],
        {**line_params(), "type": "histogram",
         "seriesParams": [{"show": True, "type": "histogram", "mode": "stacked",
                           "data": {"label": "Posts", "id": "1"}, "valueAxis": "ValueAxis-1"}]})
    panels = [
        {"version": "8.14.3", "type": "visualization", "gridData": {"x": 0, "y": 0, "w": 24, "h": 15, "i": "1"},
         "panelIndex": "1", "embeddableConfig": {}, "panelRefName": "panel_1"},
        {"version": "8.14.3", "type": "visualization", "gridData": {"x": 24, "y": 0, "w": 24, "h": 15, "i": "2"},
         "panelIndex": "2", "embeddableConfig": {}, "panelRefName": "panel_2"},
    ]
    dashboard = {"type": "dashboard", "id": "narrawatch-overview", "attributes": {
        "title": "narrawatch overview", "description": "Sentiment and volume of monitored posts",
        "panelsJSON": json.dumps(panels), "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
        "timeRestore": True, "timeFrom": "now-30d", "timeTo": "now", "refreshInterval": {"pause": True, "value": 0},
        "version": 1, "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
            {"query": {"query": "", "language": "kuery"}, "filter": []})}},
        "references": [{"name": "panel_1", "type": "visualization", "id": sentiment["id"]},
                       {"name": "panel_2", "type": "visualization", "id": volume["id"]}]}
    return [data_view, sentiment, volume, dashboard]


if __name__ == "__main__":
    out = Path(__file__).with_name("narrawatch.ndjson")
    out.write_text("".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects()),
                   encoding="utf-8")
    print(f"wrote {out}")
