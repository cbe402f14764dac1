"""Base class for every config a user types: frozen, no unknown fields, hashable to an id."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict


class FrozenConfig(BaseModel):
    """Frozen pydantic model that rejects unknown fields.

    FastAPI takes these classes as request bodies and the dashboard renders forms from their
    JSON Schema, so field descriptions and bounds belong on the fields.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def config_id(self) -> str:
        """Stable 16-hex-digit id: SHA-256 of the canonical JSON of the fields."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return cls.model_json_schema()
