"""What a channel returns after one attempt."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retry: bool = True  # False: permanent refusal (bad target, 4xx), do not retry


def refused(exc: Exception) -> Outcome:
    """The egress guard refused the target: permanent until the configuration changes."""
    return Outcome(False, None, f"target refused: {exc}; set alerts.allow_private_targets to allow", retry=False)
