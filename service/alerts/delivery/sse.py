"""In-process fan-out of new alerts to Server-Sent-Events subscribers (the dashboard's live stream).

Publishing is thread-safe (the engine runs in the ingest thread); each subscriber owns an asyncio queue on its
event loop. Reconnecting clients send Last-Event-ID (the alert sequence number) and get the missed alerts from the
alert store first, so the stream loses nothing across reconnects.
"""
from __future__ import annotations

import asyncio
import json
import threading

SEQ_MAX = 2**63 - 1  # alert sequence numbers are SQLite INTEGERs: a larger one overflows the replay query


def last_event_id(value: str | None) -> int | None:
    """The alert sequence number a reconnecting client sent as Last-Event-ID (None: a fresh stream).

    Checked before the stream starts: once the 200 and the first event are sent, an error can only cut the stream."""
    if not value:
        return None
    try:
        seq = int(value)
    except ValueError:
        seq = -1
    if not 0 <= seq <= SEQ_MAX:
        raise ValueError(f"Last-Event-ID must be an alert sequence number between 0 and {SEQ_MAX}")
    return seq


class Broker:
    def __init__(self, queue_size: int = 1000):
        self._subs: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._lock = threading.Lock()
        self.queue_size = queue_size

    def subscribe(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(self.queue_size)
        with self._lock:
            self._subs.add((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        with self._lock:
            self._subs = {s for s in self._subs if s[1] is not q}

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, seq: int, event: str, data: dict) -> None:
        with self._lock:
            subs = list(self._subs)
        for loop, q in subs:
            try:
                loop.call_soon_threadsafe(_put, q, (seq, event, data))
            except RuntimeError:  # loop closed: the subscriber is gone
                self.unsubscribe(q)


def _put(q: asyncio.Queue, item) -> None:
    if q.full():  # a slow client drops the oldest event; it can catch up with Last-Event-ID
        q.get_nowait()
    q.put_nowait(item)


def format_event(seq: int | None, event: str, data: dict) -> str:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"
