"""File imports (JSONL, CSV, snscrape JSONL, the export formats in service/presets.py) → Posts. Bad rows are
reported with file:line and quarantined."""
from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import json
import math
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.textrefs import extract_hashtags, extract_links
from core.dates import parse_datetime
from core.domain import Engagement, Post
from service.presets import PRESETS, Preset, detect_preset, explode, flatten, preset_post
from core.quarantine import Quarantine

csv.field_size_limit(sys.maxsize)

TEXT_KEYS = ("text", "rawContent", "content", "renderedContent", "message", "tweet", "body", "full_text")
DATE_KEYS = ("created_at", "date", "createdAt", "timestamp", "published", "time")
ID_KEYS = ("native_id", "id", "id_str", "post_id", "message_id")
AUTHOR_KEYS = ("author", "username", "user", "screen_name", "account")


class BadRecord(ValueError):
    """A row that cannot become a Post; the message says why in words a user can act on."""


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _author(value: Any) -> str | None:
    if isinstance(value, dict):  # snscrape nests the user object
        return value.get("username") or value.get("displayname")
    return str(value) if value is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        raise BadRecord(f"engagement count {value!r} is not a whole number") from None


def snscrape_platform(kind: str) -> str:
    """'snscrape.modules.twitter.Tweet' → 'twitter'."""
    parts = kind.split(".")
    return parts[2] if len(parts) > 3 and parts[0] == "snscrape" else "import"


def to_post(record: dict[str, Any], default_source: str) -> Post:
    """Map our own Post JSON, snscrape JSONL (Tweet, TelegramPost, ...) or a generic flat row to a Post."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected an object, got {type(record).__name__}")
    if "source" in record and "native_id" in record:  # our own export format
        return Post.model_validate(record)
    text = _first(record, TEXT_KEYS)
    if not isinstance(text, str) or not text.strip():
        raise BadRecord(f"no text (looked for {', '.join(TEXT_KEYS)})")
    date = _first(record, DATE_KEYS)
    if date is None:
        raise BadRecord(f"no date (looked for {', '.join(DATE_KEYS)})")
    kind = str(record.get("_type", ""))
    platform = snscrape_platform(kind) if kind else str(record.get("platform") or "import")
    if platform == "telegram" and kind:
        return _snscrape_telegram(record, text, date)
    if platform == "twitter" and kind:
        text = html.unescape(text)  # snscrape keeps X's escaping (&amp; &lt; &gt;) in rawContent
    native = _first(record, ID_KEYS) or record.get("url")
    if native is None:  # a row without an id: its content identifies it, so re-imports still dedupe
        native = hashlib.sha1(f"{text}\x1f{date}\x1f{_first(record, AUTHOR_KEYS)}".encode()).hexdigest()
    hashtags = record.get("hashtags") or []
    if isinstance(hashtags, str):
        hashtags = [h for h in hashtags.replace(",", " ").split() if h]
    links = record.get("outlinks") or record.get("links") or []
    links = [l.get("url", "") if isinstance(l, dict) else str(l) for l in links] if isinstance(links, list) else []
    # an export without them (most CSVs) gets the ones written in the text, as a collector would
    hashtags, links = hashtags or extract_hashtags(text), [l for l in links if l] or extract_links(text)
    return Post(
        source=platform if kind else str(record.get("source") or default_source),
        native_id=str(native),
        platform=platform if platform in Post.model_fields["platform"].annotation.__args__ else "import",
        url=record.get("url"),
        author=_author(_first(record, AUTHOR_KEYS)),
        text=text,
        title=record.get("title"),
        lang=record.get("lang") or None,
        created_at=parse_datetime(date),  # ValueError with the reason (unreadable, out of range)
        engagement=Engagement(
            likes=_int(_first(record, ("likeCount", "likes", "favourites_count"))),
            reposts=_int(_first(record, ("retweetCount", "reposts", "reblogs_count", "forwards"))),
            replies=_int(_first(record, ("replyCount", "replies", "replies_count"))),
            views=_int(_first(record, ("viewCount", "views"))),
        ),
        hashtags=[str(h) for h in hashtags],
        links=[l for l in links if l],
        campaigns=[c for c in str(record.get("campaigns") or "").replace(",", " ").split()]
        if isinstance(record.get("campaigns"), str) else list(record.get("campaigns") or []),
        raw=record if kind else None,
    )


_TME_URL = re.compile(r"^https?://t\.me/(?:s/)?([A-Za-z0-9_]{3,64})/(\d+)")


def _snscrape_telegram(record: dict[str, Any], text: str, date: Any) -> Post:
    """An snscrape TelegramPost as the Telegram collector stores the same message (source telegram:<channel>, the
    message number as id, the t.me/<channel>/<n> url, the channel as author, hashtags from the text), so a message
    both imported and collected is one post."""
    match = _TME_URL.match(str(record.get("url") or ""))
    if not match:
        raise BadRecord(f"telegram post url {str(record.get('url'))[:80]!r} is not https://t.me/<channel>/<number>")
    channel, number = match.groups()
    links = [l.get("url", "") if isinstance(l, dict) else str(l) for l in record.get("outlinks") or []]
    return Post(source=f"telegram:{channel}", native_id=number, platform="telegram",
                url=f"https://t.me/{channel}/{number}", author=channel, text=text, created_at=parse_datetime(date),
                engagement=Engagement(views=_int(record.get("views"))), hashtags=extract_hashtags(text),
                links=[l for l in links if l] or extract_links(text), raw=record)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:40]} is out of range")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


NESTING_LIMIT = 100  # deeper records are refused: no post needs it, and deep values break encoders downstream


def _too_deep(value: Any, limit: int = NESTING_LIMIT) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json(text: str) -> Any:
    """Strict JSON for one record: NaN/Infinity and numbers beyond float range are errors, not inf values."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise BadRecord(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise BadRecord("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # from the hooks above, or an integer with more than 4300 digits
        raise BadRecord(f"invalid JSON: {exc}") from None
    if (text.count("[") + text.count("{") > NESTING_LIMIT) and _too_deep(value):  # count() first: C speed
        raise BadRecord(f"nested deeper than {NESTING_LIMIT} levels")
    return value


def _bad_utf8(raw: bytes, offset: int) -> str | None:
    """None when `raw` is valid UTF-8, else the reason, naming the file offset (0-based) of the first bad byte."""
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {offset + exc.start} (0x{raw[exc.start]:02x})"


Record = tuple[int, Any, "dict[str, Any] | None", "str | None"]  # line, payload to quarantine, record, error


def _physical_lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, file offset, bytes) per line ending in "\n"; a UTF-8 BOM at the start is dropped."""
    with open(path, "rb") as fh:
        offset = 0
        for number, raw in enumerate(fh, 1):
            start, offset = offset, offset + len(raw)
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw, start = raw[len(codecs.BOM_UTF8):], start + len(codecs.BOM_UTF8)
            yield number, start, raw


def _jsonl_records(path: Path) -> Iterator[Record]:
    for number, offset, raw in _physical_lines(path):  # records end at "\n" only: a stray "\r" stays inside
        bad = _bad_utf8(raw, offset)
        if bad:
            yield number, raw, None, bad
            continue
        line = raw.decode("utf-8")
        if not line.strip():
            continue
        try:
            yield number, line, parse_json(line), None
        except BadRecord as exc:
            yield number, line, None, str(exc)


MAX_RECORD_LINES = 200  # a quoted CSV field running over more physical lines than this is taken as unbalanced


def _strict_csv(record: bytes, delimiter: str) -> bool:
    """A real multi-line field is well formed (quotes doubled inside, the closing one followed by a delimiter or the
    end of the line); a field opened by a stray quote usually ends on someone else's quote: strict parsing says so."""
    try:
        list(csv.reader(io.StringIO(record.decode("utf-8", "surrogateescape"), newline=""), delimiter=delimiter,
                        strict=True))
        return True
    except csv.Error:
        return False


def _quote_problem(row: list[str] | None, span: list[tuple[int, int, bytes]], stop: list[str], width: int | None,
                   delimiter: str) -> str | None:
    """None for a sound row; else why its quoting is broken, naming the physical lines the row swallowed."""
    if stop and stop[0].startswith("CSV error"):
        return stop[0]
    first, last = span[0][0], span[-1][0]
    if not stop and (first == last or len(row) == (width or len(row))
                     and _strict_csv(b"".join(raw for _, _, raw in span), delimiter)):
        return None
    where = f"unbalanced quote: the quoted field opened on line {first} runs to line {last}"
    if stop == ["eof"]:
        return f"{where} (end of file)"
    if stop == ["cap"]:
        return f"{where} (more than {MAX_RECORD_LINES} lines)"
    if len(row) != width:
        return f"{where} and leaves {len(row)} fields, header has {width}"
    return f"{where} where a quote inside it is not followed by a delimiter"


def _csv_rows(path: Path, delimiter: str, start_line: int = 1) -> Iterator[tuple[int, int, bytes, list[str] | None, str | None]]:
    """(first line, file offset, bytes, fields, quote problem) per CSV row; the first non-blank row is the header.

    A row whose quote is unbalanced (its field runs to the end of the file or past MAX_RECORD_LINES, or the
    multi-line row it makes has the wrong field count or a malformed closing quote) is reported on the line that
    opened it alone, and parsing starts again on the next line: the rows it had swallowed are still read."""
    lines = (line for line in _physical_lines(path) if line[0] >= start_line)
    replay: deque[tuple[int, int, bytes]] = deque()  # lines to read again after an unbalanced quote
    width: int | None = None
    while True:  # one csv.reader per run of sound rows
        span: list[tuple[int, int, bytes]] = []  # physical lines of the row being read
        stop: list[str] = []  # why the feed ended inside a row: "eof", "cap" or a CSV error

        def feed() -> Iterator[str]:
            while (item := replay.popleft() if replay else next(lines, None)) is not None:
                if len(span) >= MAX_RECORD_LINES:
                    replay.appendleft(item)
                    stop.append("cap")
                    return
                span.append(item)
                yield item[2].decode("utf-8", "surrogateescape")  # the strict UTF-8 check is per row, by the caller
            stop.append("eof")

        reader = csv.reader(feed(), delimiter=delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a NUL byte on some Python versions
                row, stop[:] = None, [f"CSV error: {exc}"]
            problem = _quote_problem(row, span, stop, width, delimiter)
            if problem is None:
                width = width or len(row) or None
                yield span[0][0], span[0][1], b"".join(raw for _, _, raw in span), row, None
                span.clear()
                continue
            yield *span[0], None, problem
            replay.extendleft(reversed(span[1:]))
            break


def _csv_records(path: Path, delimiter: str, start_line: int = 1) -> Iterator[Record]:
    """CSV/TSV rows as dicts keyed by the header, each checked on its own: quotes, strict UTF-8, field count."""
    header: list[str] | None = None
    for number, offset, raw, fields, problem in _csv_rows(path, delimiter, start_line):
        error = problem or _bad_utf8(raw, offset)
        if header is None and error:  # without a readable header no row can be mapped
            yield number, raw, None, f"header: {error}"
            return
        if error:
            yield number, raw, None, error
        elif not fields:  # a blank line
            continue
        elif header is None:
            header = [name.strip() for name in fields]
        elif len(fields) > len(header):
            yield number, raw.decode("utf-8"), None, f"{len(fields)} fields, header has {len(header)}"
        else:  # missing trailing fields are empty, as csv.DictReader does
            yield number, raw.decode("utf-8"), dict(zip(header, fields + [None] * (len(header) - len(fields)))), None


DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_LINES = 30  # Brandwatch and other dashboards put report metadata above the header


def sniff_csv(path: Path) -> tuple[str, int, list[str]]:
    """(delimiter, header line number, header columns) of a CSV/TSV export. Excel in an Indonesian (or any
    comma-decimal) locale and many scrapers write `;`, others TAB or `|`: the header line says which (the
    delimiter that splits it into the most columns). The header is the first non-blank line, unless a line within
    the first HEADER_SEARCH_LINES is the header of a known export format (metadata lines above it are skipped)."""
    default = "\t" if path.suffix.lower() == ".tsv" else ","
    first: tuple[str, int, list[str]] | None = None
    for number, _, raw in _physical_lines(path):
        if number > HEADER_SEARCH_LINES:
            break
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line.strip():
            continue
        splits = {d: next(csv.reader([line], delimiter=d), []) for d in DELIMITERS}
        delimiter = max(DELIMITERS, key=lambda d: (len(splits[d]), d == default))
        if len(splits[delimiter]) < 2:
            delimiter = default
        guess = (delimiter, number, [c.strip() for c in splits[delimiter]])
        if detect_preset(guess[2]) is not None:
            return guess
        first = first or guess
    return first or (default, 1, [])


def read_records(path: Path, delimiter: str | None = None, start_line: int = 1) -> Iterator[Record]:
    """Yield (line number, payload, record or None, error or None) for JSONL/NDJSON, JSON or CSV/TSV files. Bytes
    are decoded strictly per record: invalid UTF-8 is an error naming the byte, never silently replaced."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        if delimiter is None:
            delimiter, start_line, _ = sniff_csv(path)
        return _csv_records(path, delimiter, start_line)
    if suffix == ".json":
        return _json_records(path)
    return _jsonl_records(path)


def _json_records(path: Path) -> Iterator[Record]:
    """A .json file holding one document (an X API v2 response page, an array of records); when it is not one
    JSON document it is read as JSONL. Records of a document are numbered 1, 2, ... in place of lines."""
    raw = path.read_bytes()
    try:
        document = parse_json(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, BadRecord):
        yield from _jsonl_records(path)
        return
    records = document if isinstance(document, list) else [document]
    for number, record in enumerate(records, 1):
        yield number, record, record, None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, ValueError):  # BadRecord and the date parser: the message is the reason
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


FORMATS = ("auto", "generic", *PRESETS)


def _own(record: Any) -> bool:
    """Our own Post JSON and snscrape lines keep their own mapping (to_post), whatever the file's format."""
    return isinstance(record, dict) and ("_type" in record or ("source" in record and "native_id" in record))


def _json_preset(record: Any) -> Preset | None:
    """The preset a JSON record is in; None for our own Post JSON, snscrape lines and generic flat records."""
    return detect_preset(flatten(record)) if isinstance(record, dict) and not _own(record) else None


def _chosen(path: Path, preset: Preset | None, how: str) -> str:
    return f"{path}: format {preset.name + ' (' + preset.label + ')' if preset else 'generic'}, {how}"


def import_file(path: Path, quarantine: Quarantine, report=print, fmt: str = "auto",
                announce: Callable[[str], Any] | None = None) -> Iterator[Post]:
    """Posts from a file; each bad record is reported as 'file:line: reason' and quarantined, whatever the
    exception, and the import goes on. `fmt`: "auto" (detect the preset from the CSV header or the first JSON
    record, and `announce` which), "generic" (our Post JSON, snscrape JSONL, flat rows) or a preset name."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    default_source = f"import:{path.name}"
    preset = PRESETS.get(fmt)
    decided = fmt != "auto"
    if path.suffix.lower() in (".csv", ".tsv"):
        delimiter, start, header = sniff_csv(path)
        records = read_records(path, delimiter, start)
        if not decided:
            preset, decided = detect_preset(header), True
            if announce:
                announce(_chosen(path, preset, f"detected from the header; delimiter {delimiter!r}"
                                               + (f", header on line {start}" if start > 1 else "")))
    else:
        records = read_records(path)
    for line, payload, record, error in records:
        items: list[Any] = [None]
        if error is None:
            try:
                items = explode(record)
            except Exception as exc:  # noqa: BLE001 - a malformed response page is one bad line
                error = _reason(exc)
        for item in items:
            if error is None and not decided:  # JSON: the first record decides, as a header would
                preset, decided = _json_preset(item), True
                if announce:
                    announce(_chosen(path, preset, "detected from the first record"))
            problem = error
            if problem is None:
                try:
                    post = preset_post(preset, item, default_source) if preset and not _own(item) \
                        else to_post(item, default_source)
                except Exception as exc:  # noqa: BLE001 - one record must never abort the file
                    problem = _reason(exc)
                else:
                    yield post
                    continue
            report(f"{path}:{line}: {problem}")
            quarantine.put(str(path), problem, payload, line=line)
