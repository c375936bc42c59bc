"""Delivery channels and the durable outbox loop that drives them."""
