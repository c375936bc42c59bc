"""Store, pipeline and API of the narrative and hoax monitoring service."""
