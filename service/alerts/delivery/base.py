"""What a channel returns after one attempt."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retry: bool = True  # False: permanent refusal (bad target, 4xx), do not retry
