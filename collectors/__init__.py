"""Collectors: small source modules with one interface (yield Batches, resume from a cursor) and a scheduler."""
from collectors.base import Batch, Collector, Reject

__all__ = ["Batch", "Collector", "Reject"]
