import pytest
import yaml
from pydantic import ValidationError

from collectors.config import build_collectors, gdelt_queries, parse_sources

YAML = """
sources:
  - type: rss
    urls: [https://www.antaranews.com/rss/terkini.xml, https://www.antaranews.com/rss/politik.xml]
    interval_seconds: 600
  - type: rss
    url: https://turnbackhoax.id/feed/
    factcheck: true
  - type: telegram
    channels: [kompascom, "@cnnindonesia"]
  - type: mastodon
    instance: mastodon.social
    tags: [pemilu]
  - type: bluesky
  - type: youtube
    video_ids: [dQw4w9WgXcQ]
    api_key: test-key
  - type: gdelt
"""


def test_yaml_to_collectors(campaigns):
    cfgs = parse_sources(yaml.safe_load(YAML))
    cols = build_collectors(cfgs, campaigns, http=_NullHttp())
    names = [c.name for c in cols]
    assert names == ["rss:antaranews.com/rss/terkini.xml", "rss:antaranews.com/rss/politik.xml", "rss:turnbackhoax.id",
                     "telegram:kompascom", "telegram:cnnindonesia", "mastodon:mastodon.social", "bluesky:jetstream",
                     "youtube:comments", "gdelt:doc"]
    tg = cols[3]
    assert tg.search_terms == ["vaksin halal", "beras", "#vaksinhalal", "#berasaman"]
    assert cols[5].tags == ["pemilu"] and cols[6].terms[0] == "vaksin halal"
    assert cols[8].queries == ['"vaksin halal" OR #vaksinhalal'.join(["(", ")"]), "(beras OR #berasaman)"]


def test_invalid_config_rejected():
    with pytest.raises(ValidationError):
        parse_sources([{"type": "rss"}])
    with pytest.raises(ValidationError):
        parse_sources([{"type": "myspace", "url": "x"}])
    with pytest.raises(ValidationError):
        parse_sources([{"type": "rss", "url": "https://a", "interval_seconds": 0}])


def test_gdelt_queries(campaigns):
    assert gdelt_queries(campaigns) == ['("vaksin halal" OR #vaksinhalal)', "(beras OR #berasaman)"]


class _NullHttp:
    def set_host_delay(self, host, seconds):
        pass
