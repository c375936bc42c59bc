"""Issue 14 items 5 and 8: import presets with `--format auto`, delimiter/header sniffing, language-code
normalisation on every import path, snscrape entity unescaping and Telegram id consistency with the collector."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from collectors.telegram import parse_channel_page
from core.domain import Post
from service.ingest import import_file, to_post
from core.langcodes import normalize_lang
from core.quarantine import Quarantine, read_quarantine
from tests.collectors.conftest import FIXTURES, fixture_text

NARRAWATCH = Path(sys.executable).parent / "narrawatch"


def run(path: Path, tmp_path: Path, fmt: str = "auto"):
    q = Quarantine(tmp_path / f"{path.stem}.q.jsonl")
    said: list[str] = []
    skipped: list[str] = []
    posts = list(import_file(path, q, report=skipped.append, fmt=fmt, announce=said.append))
    return posts, q, said, skipped


def test_semicolon_export_is_sniffed_instead_of_quarantining_every_row(tmp_path):
    """The issue's `User;Text;Date;Tweet Link;...` export: all rows used to be quarantined as 'no text'."""
    posts, q, said, skipped = run(FIXTURES / "import_x_semicolon.csv", tmp_path)
    assert [p.native_id for p in posts] == ["1748650000000000001", "1748650000000000002"]
    assert posts[0].text.startswith("Katanya, bansos dihentikan") and "Kemensos & Bawaslu" in posts[0].text
    assert (posts[1].author, posts[1].platform, posts[1].source) == ("rakyatbiasa", "twitter", "twitter")
    assert posts[1].raw["Mentions"] == "kabarnegeri"  # unmapped columns are kept in raw
    assert said == [f"{FIXTURES / 'import_x_semicolon.csv'}: format x-scraper (X scraper export (User;Text;Date;"
                    "Tweet Link)), detected from the header; delimiter ';'"]
    assert [k["line"] for k in read_quarantine(q.path)] == [4]  # only the row that really has no text
    assert skipped == [f"{FIXTURES / 'import_x_semicolon.csv'}:4: x-scraper: no text (looked for Text)"]


def test_a_generic_semicolon_csv_is_read_with_its_own_delimiter(tmp_path):
    path = tmp_path / "excel_id.csv"  # Excel in an Indonesian locale: `;` between fields, `,` inside the text
    path.write_text("id;text;date;author\nr1;Harga beras naik, katanya;2024-03-01;ani\n", encoding="utf-8")
    (post,) = run(path, tmp_path)[0]
    assert (post.native_id, post.text, post.author) == ("r1", "Harga beras naik, katanya", "ani")


def test_tweet_harvest_preset_normalises_language_and_unescapes_text(tmp_path):
    posts, q, said, _ = run(FIXTURES / "import_tweet_harvest.csv", tmp_path)
    assert "format tweet-harvest" in said[0]
    first, reply, media_only = posts
    assert first.lang == "id" and reply.lang == "id"  # X's `in`, which no Indonesian model accepted
    assert media_only.lang is None  # `zxx`: unknown, so the pipeline runs language identification
    assert first.text.startswith("Beredar video surat suara sudah dicoblos & disebar")
    assert "> sudah dibantah" in reply.text
    assert (first.native_id, first.author, first.url) == (
        "1757000000000000001", "wargabekasi", "https://x.com/wargabekasi/status/1757000000000000001")
    assert (first.engagement.likes, first.engagement.reposts, first.engagement.replies) == (120, 88, 17)
    assert first.created_at.isoformat() == "2024-02-12T03:15:00+00:00"
    assert first.raw["location"] == "Jakarta Indonesia" and first.raw["format"] == "tweet-harvest"
    assert [k["line"] for k in read_quarantine(q.path)] == [5]


@pytest.mark.parametrize("name, fmt, check", [
    ("import_crowdtangle.csv", "crowdtangle",
     lambda p: p[0].platform == "facebook" and p[0].created_at.isoformat() == "2024-02-13T02:15:00+00:00"
     and p[0].engagement.likes == 1000 and p[1].text == "[SALAH] Surat Suara Tercoblos"),
    ("import_brandwatch.csv", "brandwatch",  # five metadata lines above the header
     lambda p: [x.platform for x in p] == ["twitter", "news"] and p[0].native_id == "1757000000000000001"
     and p[1].lang == "id" and p[1].title == "KPU bantah video surat suara"),
    ("import_meltwater.csv", "meltwater",
     lambda p: p[0].created_at.isoformat() == "2024-02-12T10:15:00+00:00" and p[0].lang == "id"),
    ("import_talkwalker.csv", "talkwalker",
     lambda p: p[0].platform == "twitter" and p[0].lang == "id" and p[0].engagement.reposts == 12
     and p[0].created_at.isoformat() == "2024-02-12T10:50:00+00:00"),  # epoch ms
    ("import_meta_content_library.csv", "meta-content-library",
     lambda p: p[0].author == "cekfaktakita" and p[0].engagement.likes == 340 and p[0].links == ["https://cekfakta.com/a/1"]),
    ("import_tiktok_apify.csv", "tiktok-apify",
     lambda p: p[0].platform == "tiktok" and p[0].author == "warga.tiktok" and p[0].engagement.views == 45000),
    ("import_tiktok_research.jsonl", "tiktok-research",
     lambda p: p[0].url == "https://www.tiktok.com/@cekfakta.id/video/7334000000000000001"
     and p[0].hashtags == ["pemilu2024", "hoaks"] and p[0].raw["voice_to_text"] == "halo semuanya"),
    ("import_instagram_apify.json", "instagram-apify",
     lambda p: p[0].platform == "instagram" and p[0].author == "cekfakta.ig" and p[0].engagement.likes == 410),
])
def test_each_preset_is_detected_and_mapped(tmp_path, name, fmt, check):
    posts, q, said, skipped = run(FIXTURES / name, tmp_path)
    assert said and f"format {fmt} " in said[0], said
    assert posts and q.count == 0 and skipped == []
    assert check(posts)
    forced, _, said_forced, _ = run(FIXTURES / name, tmp_path, fmt=fmt)
    assert said_forced == [] and [p.id for p in forced] == [p.id for p in posts]


def test_a_malformed_response_page_is_one_quarantined_line(tmp_path):
    path = tmp_path / "pages.jsonl"
    good = json.loads((FIXTURES / "import_x_api_v2.jsonl").read_text(encoding="utf-8").splitlines()[1])
    path.write_text(json.dumps({"data": [good, 7], "includes": ["not", "an", "object"]}) + "\n", encoding="utf-8")
    posts, q, said, skipped = run(path, tmp_path)
    assert [p.native_id for p in posts] == ["1757100000000000003"] and q.count == 1
    assert skipped == [f"{path}:1: expected an object, got int"]


def test_x_api_v2_pages_are_exploded_with_their_authors(tmp_path):
    posts, q, said, _ = run(FIXTURES / "import_x_api_v2.jsonl", tmp_path)
    assert "format x-api-v2" in said[0] and q.count == 0
    kpu, shalom, flat = posts
    assert (kpu.author, kpu.lang, kpu.hashtags, kpu.links) == ("kpu_ri", "id", ["pemilu2024"],
                                                               ["https://www.kpu.go.id/berita/baca/1"])
    assert "surat suara & formulir" in kpu.text and kpu.engagement.views == 15000
    assert shalom.lang == "he" and flat.lang is None  # `iw` → he, `und` → unknown


def test_the_same_tweet_from_any_x_export_is_one_post(tmp_path):
    harvest = run(FIXTURES / "import_tweet_harvest.csv", tmp_path)[0][0]
    brandwatch = run(FIXTURES / "import_brandwatch.csv", tmp_path)[0][0]
    snscrape = to_post({"_type": "snscrape.modules.twitter.Tweet", "id": 1757000000000000001, "date": "2024-02-12T03:15:00+00:00",
                        "rawContent": "x", "url": "https://twitter.com/wargabekasi/status/1757000000000000001",
                        "user": {"username": "wargabekasi"}}, "import:f")
    assert harvest.id == brandwatch.id == snscrape.id


def test_unknown_format_is_refused_and_generic_keeps_the_old_mapping(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'tweetharvest'"):
        list(import_file(FIXTURES / "import_tweet_harvest.csv", Quarantine(tmp_path / "q"), fmt="tweetharvest"))
    generic, q, said, _ = run(FIXTURES / "import_tweet_harvest.csv", tmp_path, fmt="generic")
    assert said == [] and [p.source for p in generic] == ["import:import_tweet_harvest.csv"] * 3


# --- language codes on every path (item 5b) --------------------------------------------------------

def test_language_codes_are_normalised_for_every_source():
    cases = {"in": "id", "IN": "id", "iw": "he", "ji": "yi", "jw": "jv", "pt-BR": "pt", "id_ID": "id", "und": None,
             "zxx": None, "qme": None, "qht": None, "": None, None: None, "Indonesian": "id", "ind": "id", "en": "en",
             "min": "min"}
    assert {k: normalize_lang(k) for k in cases} == cases
    # the domain model applies it, so our own JSONL, the API and every collector get it too
    post = Post(source="s", native_id="1", text="t", created_at="2024-01-01T00:00:00Z", lang="in")
    assert post.lang == "id"


def test_own_jsonl_and_snscrape_lines_get_normalised_codes_and_unescaped_text(tmp_path):
    path = tmp_path / "mixed.jsonl"
    tweet = {"_type": "snscrape.modules.twitter.Tweet", "id": 1, "date": "2024-02-12T03:15:00+00:00", "lang": "in",
             "rawContent": "Bansos &amp; BLT &lt;bukan&gt; syarat memilih", "url": "https://twitter.com/a/status/1",
             "user": {"username": "a"}}
    own = {"source": "x", "native_id": "2", "text": "t", "created_at": "2024-02-12T03:15:00Z", "lang": "und"}
    path.write_text(json.dumps(tweet) + "\n" + json.dumps(own) + "\n", encoding="utf-8")
    snscraped, ours = run(path, tmp_path)[0]
    assert snscraped.text == "Bansos & BLT <bukan> syarat memilih" and snscraped.lang == "id"
    assert ours.lang is None


# --- snscrape Telegram = Telegram collector (item 8) ------------------------------------------------

def test_snscrape_telegram_line_is_the_collectors_post(tmp_path):
    page = parse_channel_page(fixture_text("telegram_kompascom.html"), source="telegram:kompascom", campaigns=[],
                              channel="kompascom")
    collected = next(p for p in page.posts if p.hashtags)
    line = {"_type": "snscrape.modules.telegram.TelegramPost", "url": collected.url,
            "date": collected.created_at.isoformat(), "content": collected.text, "outlinks": collected.links}
    path = tmp_path / "tg.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (imported,) = run(path, tmp_path)[0]
    assert (imported.id, imported.source, imported.native_id, imported.url) == (
        collected.id, collected.source, collected.native_id, collected.url)
    assert (imported.author, imported.hashtags) == (collected.author, collected.hashtags)


# --- the command ------------------------------------------------------------------------------------

def test_ingest_command_says_which_format_it_chose(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NW_")}
    env.update(NW_DATA_DIR=str(tmp_path / "var"), COLUMNS="200")
    src = shutil.copy(FIXTURES / "import_x_semicolon.csv", tmp_path / "x.csv")
    ok = subprocess.run([str(NARRAWATCH), "ingest", "--format", "auto", str(src)], cwd=tmp_path, env=env,
                        capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "format x-scraper" in ok.stderr and "delimiter ';'" in ok.stderr
    assert "stored=2" in ok.stdout and "quarantined=1" in ok.stdout
    bad = subprocess.run([str(NARRAWATCH), "ingest", "--format", "nope", str(src)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "tweet-harvest" in bad.stderr  # lists the valid choices


def test_unknown_language_codes_reach_language_identification():
    """`und`/`zxx` (X, GDELT, Bluesky) become None, and None is what the pipeline's language step fills in."""
    from classifiers.language import LanguageDetector
    posts = [Post(source="s", native_id=str(i), text="Pemerintah memastikan stok beras aman menjelang Lebaran tahun ini",
                  created_at="2024-01-01T00:00:00Z", lang=code) for i, code in enumerate(("und", "zxx", "in"))]
    assert [p.lang for p in LanguageDetector().classify(posts)] == ["id", "id", "id"]
