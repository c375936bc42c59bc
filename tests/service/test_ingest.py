import json

from service.ingest import import_file
from core.quarantine import Quarantine

SNSCRAPE_TWEET = {  # shape of `snscrape --jsonl twitter-search` output (snscrape 0.7, Tweet dataclass)
    "_type": "snscrape.modules.twitter.Tweet", "url": "https://twitter.com/warga/status/1598000000000000001",
    "date": "2022-11-30T10:15:00+00:00", "rawContent": "KTT G20 Bali sukses besar #G20Indonesia",
    "renderedContent": "KTT G20 Bali sukses besar #G20Indonesia", "id": 1598000000000000001,
    "user": {"_type": "snscrape.modules.twitter.User", "username": "warga", "id": 42},
    "replyCount": 3, "retweetCount": 10, "likeCount": 55, "quoteCount": 1, "viewCount": 2000,
    "lang": "in", "hashtags": ["G20Indonesia"], "outlinks": [], "links": None,
}
SNSCRAPE_TELEGRAM = {
    "_type": "snscrape.modules.telegram.TelegramPost", "url": "https://t.me/kanal/1234",
    "date": "2023-05-10T02:00:00+00:00", "content": "Info resmi KTT ASEAN", "outlinks": ["https://asean2023.id"],
}


def _lines(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_snscrape_jsonl_maps_engagement_author_and_stable_ids(tmp_path):
    path = _lines(tmp_path, "tweets.jsonl", [json.dumps(SNSCRAPE_TWEET), json.dumps(SNSCRAPE_TELEGRAM)])
    q = Quarantine(tmp_path / "q.jsonl")
    tweet, tg = list(import_file(path, q))
    assert q.count == 0
    assert tweet.platform == "twitter" and tweet.author == "warga" and tweet.native_id == "1598000000000000001"
    assert (tweet.engagement.likes, tweet.engagement.reposts, tweet.engagement.views) == (55, 10, 2000)
    assert tweet.hashtags == ["g20indonesia"] and tweet.raw["_type"].endswith("Tweet")
    # the Telegram collector's id for the same message (issue 14 item 8): source telegram:<channel>, message number
    assert tg.platform == "telegram" and (tg.source, tg.native_id) == ("telegram:kanal", "1234")
    assert tg.links == ["https://asean2023.id"]
    again = list(import_file(path, q))
    assert [p.id for p in again] == [tweet.id, tg.id]


def test_bad_lines_reported_with_line_number_and_quarantined(tmp_path):
    path = _lines(tmp_path, "mixed.jsonl", [
        json.dumps({"text": "baik", "date": "2024-01-01T00:00:00Z", "id": "a"}),
        "{not json",
        json.dumps({"text": "", "date": "2024-01-01"}),
        json.dumps({"text": "tanpa tanggal"}),
        json.dumps({"text": "tanggal aneh", "date": "kemarin sore"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "ok juga", "created_at": 1700000000, "likes": "12"}),
    ])
    q = Quarantine(tmp_path / "q.jsonl")
    reports = []
    posts = list(import_file(path, q, report=reports.append))
    assert [p.text for p in posts] == ["baik", "ok juga"]
    assert posts[1].engagement.likes == 12
    assert q.count == 5
    assert [r.split(": ", 1)[0] for r in reports] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6)]
    kept = [json.loads(line) for line in q.path.read_text().splitlines()]
    assert [k["line"] for k in kept] == [2, 3, 4, 5, 6]
    assert "invalid JSON" in kept[0]["reason"] and "no text" in kept[1]["reason"]
    assert "no date" in kept[2]["reason"] and "unreadable date" in kept[3]["reason"]
    assert kept[0]["payload"].startswith("{not json")


def test_csv_rows_with_extra_fields_are_quarantined(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text('id,text,date,author\n1,"Harga BBM naik, warga protes",2024-02-01 10:00,ani\n'
                    '2,teks,2024-02-01,budi,extra\n3,,2024-02-01,cici\n', encoding="utf-8")
    q = Quarantine(tmp_path / "q.jsonl")
    reports = []
    posts = list(import_file(path, q, report=reports.append))
    assert [(p.native_id, p.author, p.text) for p in posts] == [("1", "ani", "Harga BBM naik, warga protes")]
    assert posts[0].source == "import:posts.csv"
    assert q.count == 2 and reports[0].startswith(f"{path}:3:") and "fields" in reports[0]


def test_hashtags_and_links_come_from_the_text_when_the_export_has_none(tmp_path):
    """Issue 15 item 3: a plain CSV (and a preset without those columns) gets the hashtags and links written in its
    text, by the extractor the collectors use; the list an export does give is kept as it is."""
    from core.textrefs import extract_hashtags

    long_url = "https://example.org/" + "a" * 5000  # over the URL limit: left in the text, the row still imports
    path = _lines(tmp_path, "plain.csv", [
        "id,text,date,author",
        f'1,"Cek #VaksinAman di https://kompas.com/cek. #vaksinaman {long_url}",2024-11-01T08:00:00Z,budi',
        '2,"Tanpa tagar",2024-11-01T09:00:00Z,ani',
    ])
    tweet_harvest = _lines(tmp_path, "th.csv", [
        "conversation_id_str,created_at,favorite_count,full_text,id_str,image_url,in_reply_to_screen_name,lang,"
        "location,quote_count,reply_count,retweet_count,tweet_url,user_id_str,username",
        '1,Fri Nov 01 08:00:00 +0000 2024,1,"Hoaks lagi #CekFakta https://t.co/abc",1,,,in,,0,0,0,'
        'https://x.com/budi/status/1,9,budi',
    ])
    q = Quarantine(tmp_path / "q.jsonl")
    tagged, plain = list(import_file(path, q))
    (harvested,) = list(import_file(tweet_harvest, q))
    jsonl = list(import_file(_lines(tmp_path, "given.jsonl", [json.dumps(SNSCRAPE_TWEET)]), q))
    assert q.count == 0
    assert tagged.hashtags == ["vaksinaman"] == extract_hashtags(tagged.text)
    assert tagged.links == ["https://kompas.com/cek"] and plain.hashtags == [] and plain.links == []
    assert harvested.hashtags == ["cekfakta"] and harvested.links == ["https://t.co/abc"]
    assert jsonl[0].hashtags == ["g20indonesia"]  # the export's own list
