"""Serve stage: the FastAPI application, one router per resource."""
