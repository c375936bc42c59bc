"""Live alerts for Server-Sent-Events subscribers (the PR inbox), from whichever process made the change.

Every change to an alert is appended to the store's event log (service/store/events.py). One EventFeed per process
tails that log and fans each event out to this process's subscribers, each of which owns an asyncio queue on its
event loop. The event id is the log's sequence number: a client reconnecting with Last-Event-ID, to this replica or
any other, gets what it missed from the log first, so the stream loses nothing across reconnects and replicas.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading

from service.background import BackgroundLoop
from service.store.base import StoreUnavailable
from service.store.events import Event, EventLog

log = logging.getLogger(__name__)
SEQ_MAX = 2**63 - 1  # event sequence numbers are 64-bit integers on both backends


def last_event_id(value: str | None) -> int | None:
    """The event sequence number a reconnecting client sent as Last-Event-ID (None: a fresh stream).

    Checked before the stream starts: once the 200 and the first event are sent, an error can only cut the stream."""
    if not value:
        return None
    try:
        seq = int(value)
    except ValueError:
        seq = -1
    if not 0 <= seq <= SEQ_MAX:
        raise ValueError(f"Last-Event-ID must be an event sequence number between 0 and {SEQ_MAX}")
    return seq


class EventFeed(BackgroundLoop):
    """Tails the event log in one daemon thread (started by the first subscriber) and fans events out."""
    thread_name = "event-feed"

    def __init__(self, events: EventLog, poll_seconds: float = 0.25, queue_size: int = 1000):
        super().__init__()
        self.events = events
        self.poll_seconds = poll_seconds  # bounds the latency of an event appended by another process
        self.queue_size = queue_size
        self.position: int | None = None  # the last sequence number handed to subscribers (None: not read yet)
        self._subs: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> tuple[asyncio.Queue, int]:
        """A queue of the events after the returned sequence number (call on the subscriber's event loop)."""
        q: asyncio.Queue = asyncio.Queue(self.queue_size)
        with self._lock:
            if self._thread is None:
                self._start()
            self._subs.add((asyncio.get_running_loop(), q))
            return q, self.position or 0

    def unsubscribe(self, q: asyncio.Queue) -> None:
        with self._lock:
            self._subs = {s for s in self._subs if s[1] is not q}

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def _start(self) -> None:
        try:
            self.position = self.events.last_seq()
        except StoreUnavailable as exc:  # the loop reads it once the store answers
            log.warning("event log unreachable, live stream starts when it is back: %s", exc)
        self.start()

    def _loop(self) -> None:
        delay = self.poll_seconds
        while not self.stopping:
            try:
                if self.position is None:
                    self.position = self.events.last_seq()
                batch = self.events.tail(self.position, 500)
                delay = self.poll_seconds
            except Exception as exc:  # noqa: BLE001 - store down: keep the subscribers, retry with back-off
                log.warning("event log tail failed: %s", exc)
                batch, delay = [], min(delay * 2, 10.0)
            for event in batch:
                self._publish(event)
                self.position = event.seq
            if len(batch) < 500:
                self.sleep(delay)  # woken at once when this process appends

    def _publish(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subs)
        for loop, q in subs:
            try:
                loop.call_soon_threadsafe(_put, q, event)
            except RuntimeError:  # loop closed: the subscriber is gone
                self.unsubscribe(q)


def _put(q: asyncio.Queue, item) -> None:
    if q.full():  # a slow client drops the oldest event; it can catch up with Last-Event-ID
        q.get_nowait()
    q.put_nowait(item)


def format_event(seq: int | None, event: str, data: dict) -> str:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"
