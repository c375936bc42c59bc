"""Narrative analytics: trending terms, narrative clusters, spikes and coordinated posting."""
