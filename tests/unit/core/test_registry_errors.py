from __future__ import annotations

import pytest
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from nautilus.core.config import FrozenConfig
from nautilus.core.errors import (
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
)
from nautilus.core.registry import Registry


class WindowConfig(FrozenConfig):
    window: int = Field(14, ge=2, le=500, description="Lookback in bars.")


def test_register_get_and_describe() -> None:
    reg: Registry[type] = Registry("indicator")

    @reg.register("sma", config=WindowConfig, tags=("overlap",))
    class SMA:
        """Simple moving average of the close."""

    assert reg.get("sma") is SMA
    assert "sma" in reg and len(reg) == 1 and list(reg) == ["sma"]
    (desc,) = reg.describe()
    assert desc["name"] == "sma"
    assert desc["summary"] == "Simple moving average of the close."
    assert desc["parameters"]["properties"]["window"]["maximum"] == 500
    assert desc["tags"] == ["overlap"]


def test_unknown_and_duplicate_names_are_errors() -> None:
    reg: Registry[object] = Registry("strategy")
    reg.add("a", object())
    with pytest.raises(NotFoundError) as exc:
        reg.get("b")
    assert exc.value.code == "unknown_strategy"
    assert "'b'" in exc.value.detail and "a" in exc.value.detail
    with pytest.raises(ConflictError):
        reg.add("a", object())


def test_frozen_config_rejects_unknown_fields_and_hashes_stably() -> None:
    a = WindowConfig(window=20)
    assert a.config_id() == WindowConfig(window=20).config_id()
    assert a.config_id() != WindowConfig(window=21).config_id()
    with pytest.raises(PydanticValidationError, match="Extra inputs"):
        WindowConfig(window=20, other=1)  # type: ignore[call-arg]
    with pytest.raises(PydanticValidationError, match="frozen"):
        a.window = 3  # type: ignore[misc]


def test_problem_documents() -> None:
    err = ValidationError("window 1 is below 2", code="out_of_range", field="window")
    body = err.to_problem("/api/v1/x")
    assert body["status"] == 422
    assert body["code"] == "out_of_range"
    assert body["field"] == "window"
    assert body["instance"] == "/api/v1/x"
    assert body["type"].endswith("/out_of_range")
    rl = RateLimitedError("slow down", retry_after=2.5)
    assert rl.status == 429 and rl.to_problem()["retry_after"] == 2.5
    assert NotFoundError("x").status == 404
