"""Classify stage: language, sentiment, hoax suspicion, entities. Every classifier fills Post.lang/classification."""
