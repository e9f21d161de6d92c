"""The HTTP API as the tests call it."""
from __future__ import annotations

API = "/api/v1"
