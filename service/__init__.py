"""Store, pipeline and API of the narrative and hoax monitoring service."""
from core.redact import install as _install_redaction

_install_redaction()  # before any logger runs: secrets must never reach a log line
