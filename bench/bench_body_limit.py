"""Oversized unauthenticated bodies against `narrawatch serve`: server RSS growth and time to the answer.

    .venv/bin/python -m bench.bench_body_limit [--mb 52] [--parallel 8]

Starts the API in a subprocess on a free loopback port, sends --parallel POST /posts bodies of --mb MB without a key
(honest Content-Length, the whole body pushed as fast as the server takes it), and prints the status codes, the
slowest answer and the server's RSS before and after (issue 11 item 7: +141 MB per body before the limit).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from bench.loopback import free_port


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def send(port: int, size: int) -> tuple[int, float]:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"POST /posts HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % size)
        block, sent = b" " * (1 << 20), 0
        try:
            while sent < size:
                sock.sendall(block[: min(len(block), size - sent)])
                sent += min(len(block), size - sent)
        except OSError:
            pass  # the server answered and closed: it does not want the rest
        head = sock.recv(64)
    return int(head.split(b" ", 2)[1]), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=52)
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NW_DATA_DIR": tmp}
        server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            before = rss_mb(server.pid)
            with ThreadPoolExecutor(args.parallel) as pool:
                results = list(pool.map(lambda _: send(port, args.mb << 20), range(args.parallel)))
            after = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(10)
    report = {"body_mb": args.mb, "parallel": args.parallel, "statuses": sorted({s for s, _ in results}),
              "slowest_answer_s": round(max(t for _, t in results), 3), "rss_before_mb": round(before, 1),
              "rss_after_mb": round(after, 1), "rss_growth_mb": round(after - before, 1)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
