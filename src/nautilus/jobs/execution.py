"""Running one job function, shared by every backend (local worker process, Ray task).

The parent validates params at submit time (:func:`validate_params`); the worker validates
them again into the kind's model before calling the function, so a job always receives a
model instance (or the plain dict for a kind without a model). :func:`execute` never raises:
it returns an :class:`Outcome` with either the result or the error text, which starts with a
one-line summary ``"<ExceptionType>: <message>"`` followed by the traceback.
"""

from __future__ import annotations

import json
import math
import traceback
from dataclasses import dataclass
from typing import Any

import pydantic

from nautilus.core.errors import ValidationError
from nautilus.core.registry import PluginSpec
from nautilus.jobs.base import JobFunction, Progress


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a job function produced: ``result`` if ``ok``, else ``error`` (summary + traceback)."""

    ok: bool
    result: dict[str, Any] | None = None
    error: str | None = None


def validate_params(spec: PluginSpec[JobFunction], params: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``params`` with the kind's model; return them as JSON-ready values with defaults.

    Raises ValidationError (code ``invalid_job_params``, ``errors`` = pydantic's error list).
    """
    raw = {} if params is None else params
    if not isinstance(raw, dict):
        raise ValidationError("job params must be a JSON object", code="invalid_job_params")
    if spec.config is None:
        try:
            return dict(json.loads(json.dumps(raw, allow_nan=False)))
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"params of job {spec.name!r} are not JSON: {exc}", code="invalid_job_params"
            ) from exc
    try:
        model = spec.config.model_validate(raw)
    except pydantic.ValidationError as exc:
        errors = json.loads(exc.json(include_url=False))
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(params)'}: {e['msg']}" for e in errors
        )
        raise ValidationError(
            f"invalid params for job {spec.name!r}: {where}",
            code="invalid_job_params",
            errors=errors,
        ) from None
    return dict(model.model_dump(mode="json"))


def error_summary(error: str | None) -> str | None:
    """The first line of a stored error text (``"<ExceptionType>: <message>"``)."""
    if error is None:
        return None
    return error.split("\n", 1)[0]


def describe_exception(exc: BaseException) -> str:
    """``"<ExceptionType>: <message>"`` then a blank line and the formatted traceback."""
    head = f"{type(exc).__name__}: {exc}"
    tb = "".join(traceback.format_exception(exc))
    return f"{head}\n\n{tb}"


def check_result(result: Any) -> dict[str, Any]:
    """A job result must be a JSON-serialisable dict (None counts as ``{}``)."""
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"a job must return a dict, got {type(result).__name__}")
    try:
        return dict(json.loads(json.dumps(result, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job result is not JSON-serialisable: {exc}") from exc


def execute(
    fn: JobFunction,
    config: type[pydantic.BaseModel] | None,
    params: dict[str, Any],
    progress: Progress,
) -> Outcome:
    """Validate ``params`` into ``config``, call ``fn`` and capture its result or error."""
    try:
        args: Any = config.model_validate(params) if config is not None else dict(params)
        return Outcome(ok=True, result=check_result(fn(args, progress)))
    except Exception as exc:  # the job's own error ends the job, never the worker loop
        return Outcome(ok=False, error=describe_exception(exc))


def clamp_fraction(fraction: float) -> float:
    """Progress fractions are in [0, 1]; out-of-range values are clamped, NaN rejected."""
    value = float(fraction)
    if math.isnan(value):
        raise ValueError("progress fraction is NaN")
    return min(1.0, max(0.0, value))
