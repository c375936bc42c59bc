"""The served app with keys per role and workspace (the fixtures of tests/api)."""
from tests.api.conftest import api, api_settings, auth_config  # noqa: F401 - fixtures
