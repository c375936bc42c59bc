"""A small closed-loop HTTP/1.1 load generator (asyncio streams, keep-alive), so the API benchmark needs no wrk.

`connections` clients each send a GET, read the whole response, then send the next, until `seconds` have passed
(or `max_requests` were sent). Loopback only. Latency is measured per request from write to last body byte;
errors are non-2xx answers, timeouts and broken connections (the client reconnects).
"""
from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter

MAX_HEADER = 64 * 1024


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER:
        raise ValueError("response header too large")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


async def _run(port: int, paths: list[str], headers: dict[str, str], connections: int, seconds: float,
               max_requests: int | None, timeout: float) -> dict:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode() for p in paths]
    order = itertools.count()
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = Counter()
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + seconds

    async def client() -> None:
        reader = writer = None
        while loop.time() < deadline:
            i = next(order)
            if max_requests is not None and i >= max_requests:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
                t0 = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status, keep = await asyncio.wait_for(_response(reader), timeout)
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] += 1
                if not 200 <= status < 300:
                    errors["status"] += 1
                if not keep:
                    writer.close()
                    writer = None
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError) as exc:
                errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = loop.time() - start
    lat = sorted(latencies)
    return {"requests": len(lat), "seconds": round(elapsed, 2), "rps": len(lat) / elapsed,
            "p50_ms": percentile(lat, 0.50), "p90_ms": percentile(lat, 0.90), "p99_ms": percentile(lat, 0.99),
            "errors": sum(errors.values()), "error_kinds": dict(errors),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def run(port: int, paths: list[str], *, headers: dict[str, str] | None = None, connections: int = 100,
        seconds: float = 60.0, max_requests: int | None = None, timeout: float = 10.0) -> dict:
    """Load 127.0.0.1:`port` with GETs cycling over `paths`; returns throughput, latency percentiles, errors."""
    if not paths or connections < 1 or seconds <= 0:
        raise ValueError("need paths, connections >= 1 and seconds > 0")
    return asyncio.run(_run(port, paths, headers or {}, connections, seconds, max_requests, timeout))
