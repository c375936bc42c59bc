"""Alert stage: rules matched on ingest, threshold detectors, de-duplicated alerts with a counter-narrative brief,
durable delivery (webhook, Telegram, email, SSE) and an acknowledge/assign/resolve workflow."""
