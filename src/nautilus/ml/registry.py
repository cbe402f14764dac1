"""The model registry: versioned artefacts on disk plus metadata rows in the relational store.

Layout: ``<data_dir>/models/<name>/<version>/model.joblib`` (the fitted :class:`Model`,
joblib) and ``metadata.json`` (the same metadata as the row). Versions count from 1 per name.

Stages: ``candidate`` (new), ``production`` (at most one per name), ``archived``, ``failed``
(the fit did not converge or raised; never promotable). Promoting a version archives the
current production version and remembers it; :meth:`ModelRegistry.rollback` archives the
current production version and restores the one it replaced.

Lineage per version: training window (first/last ``ts``, int ns UTC), feature names, model
parameters, metrics, ``data_hash`` (SHA-256 of the training matrix bytes) and
``code_version`` (``nautilus.__version__``).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import msgspec
import pandas as pd
from sqlalchemy import func, select

import nautilus
from nautilus.core.errors import ConflictError, NotFoundError, ValidationError
from nautilus.core.ids import new_id
from nautilus.ml.base import Model
from nautilus.ml.dataset import Dataset
from nautilus.ml.tables import ModelVersionRow
from nautilus.persistence.db import Database

STAGES = ("candidate", "production", "archived", "failed")
REFERENCE_ROWS = 20_000
"""Training feature rows kept (the latest) as the drift reference of a version."""


class ModelVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A registered model version as the API and CLI see it."""

    name: str
    version: int
    model_kind: str
    stage: str
    train_start_ns: int | None
    train_end_ns: int | None
    n_rows: int
    features: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    data_hash: str
    code_version: str
    artefact_path: str | None
    error: str | None
    previous_production: int | None
    created_at: datetime
    promoted_at: datetime | None


def _to_version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        name=row.name, version=row.version, model_kind=row.model_kind, stage=row.stage,
        train_start_ns=row.train_start_ns, train_end_ns=row.train_end_ns, n_rows=row.n_rows,
        features=list(row.features), params=dict(row.params), metrics=dict(row.metrics),
        data_hash=row.data_hash, code_version=row.code_version, artefact_path=row.artefact_path,
        error=row.error, previous_production=row.previous_production,
        created_at=row.created_at, promoted_at=row.promoted_at,
    )


def _check_name(name: str) -> str:
    # one bus topic segment (ml.drift.<name>) and one folder name: no dots, no slashes
    if not name or len(name) > 128 or not all(c.isalnum() or c in "-_" for c in name):
        raise ValidationError(
            f"model name {name!r} must be 1-128 letters, digits, '-' or '_'",
            code="invalid_model_name",
        )
    return name


class ModelRegistry:
    """Register, list, load, promote and roll back model versions."""

    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.root = Path(data_dir) / "models"

    def _row(self, s: Any, name: str, version: int) -> ModelVersionRow:
        row = s.scalar(
            select(ModelVersionRow).where(
                ModelVersionRow.name == name, ModelVersionRow.version == version
            )
        )
        if row is None:
            if s.scalar(select(ModelVersionRow.id).where(ModelVersionRow.name == name).limit(1)):
                # the version is named in a request body (predict, promote): a 422
                raise ValidationError(
                    f"model {name!r} has no version {version}",
                    code="unknown_model_version",
                    parameter="version",
                )
            raise NotFoundError(f"unknown model {name!r}", code="unknown_model")
        return row

    def _production_row(self, s: Any, name: str) -> ModelVersionRow | None:
        return s.scalar(
            select(ModelVersionRow).where(
                ModelVersionRow.name == name, ModelVersionRow.stage == "production"
            )
        )

    def register(
        self, name: str, model: Model, dataset: Dataset, *, model_kind: str,
        metrics: dict[str, Any] | None = None, error: str | None = None,
    ) -> ModelVersion:
        """Store ``model`` (fitted on ``dataset``) as the next version of ``name``.

        A model with ``converged`` False, or an ``error`` text, is recorded ``failed`` with
        no artefact; otherwise the artefact is written and the version is a ``candidate``.
        """
        _check_name(name)
        failed = error is not None or not model.converged
        if failed and error is None:
            error = f"{model_kind}: the fit did not converge"
        all_metrics = {"train": dict(model.train_metrics)} | dict(metrics or {})
        ts = dataset.ts
        with self.db.session() as s:
            latest = s.scalar(
                select(func.max(ModelVersionRow.version)).where(ModelVersionRow.name == name)
            )
            version = int(latest or 0) + 1
            path = self.root / name / str(version)
            row = ModelVersionRow(
                id=new_id(), name=name, version=version, model_kind=model_kind,
                stage="failed" if failed else "candidate",
                train_start_ns=int(ts[0]) if len(ts) else None,
                train_end_ns=int(ts[-1]) if len(ts) else None,
                n_rows=len(dataset), features=list(dataset.features.columns),
                params=model.params(), metrics=all_metrics, data_hash=dataset.data_hash(),
                code_version=nautilus.__version__,
                artefact_path=None if failed else str(path / "model.joblib"),
                error=error, previous_production=None, created_at=datetime.now(UTC),
                promoted_at=None,
            )
            s.add(row)
            s.flush()
            mv = _to_version(row)
            path.mkdir(parents=True, exist_ok=True)
            if not failed:
                joblib.dump(model, path / "model.joblib")
                # the training features are the reference distribution for input drift
                joblib.dump(dataset.features.tail(REFERENCE_ROWS), path / "reference.joblib")
            (path / "metadata.json").write_bytes(msgspec.json.encode(mv))
        return mv

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """A version, or the production version when ``version`` is None."""
        with self.db.session() as s:
            if version is not None:
                return _to_version(self._row(s, name, version))
            row = self._production_row(s, name)
            if row is None:
                self._require_name(s, name)
                raise NotFoundError(
                    f"model {name!r} has no production version", code="no_production_model"
                )
            return _to_version(row)

    def _require_name(self, s: Any, name: str) -> None:
        if s.scalar(select(ModelVersionRow.id).where(ModelVersionRow.name == name).limit(1)):
            return
        raise NotFoundError(f"unknown model {name!r}", code="unknown_model")

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first."""
        with self.db.session() as s:
            self._require_name(s, name)
            rows = s.scalars(
                select(ModelVersionRow).where(ModelVersionRow.name == name)
                .order_by(ModelVersionRow.version)
            )
            return [_to_version(r) for r in rows]

    def names(self) -> list[str]:
        with self.db.session() as s:
            return sorted(s.scalars(select(ModelVersionRow.name).distinct()))

    def load(self, name: str, version: int | None = None) -> tuple[ModelVersion, Model]:
        """The metadata and fitted model of a version (production when ``version`` is None)."""
        mv = self.get(name, version)
        if mv.artefact_path is None:
            raise ConflictError(
                f"model {name!r} version {mv.version} is {mv.stage} and has no artefact",
                code="model_failed",
            )
        model = joblib.load(mv.artefact_path)
        if not isinstance(model, Model):
            raise ConflictError(f"artefact of {name} v{mv.version} is not a Model")
        return mv, model

    def reference(self, name: str, version: int) -> pd.DataFrame:
        """The training features of a version (the input-drift reference)."""
        mv = self.get(name, version)
        path = self.root / name / str(mv.version) / "reference.joblib"
        if not path.exists():
            raise NotFoundError(
                f"model {name!r} v{mv.version} has no reference features", code="no_reference"
            )
        frame = joblib.load(path)
        if not isinstance(frame, pd.DataFrame):
            raise ConflictError(f"reference of {name} v{mv.version} is not a frame")
        return frame

    def promote(self, name: str, version: int) -> ModelVersion:
        """Make ``version`` production; the current production version is archived."""
        with self.db.session() as s:
            row = self._row(s, name, version)
            if row.stage == "failed":
                raise ConflictError(
                    f"model {name!r} version {version} failed and cannot be promoted",
                    code="model_failed",
                )
            if row.stage == "production":
                return _to_version(row)
            current = self._production_row(s, name)
            if current is not None:
                current.stage = "archived"
                s.flush()
            row.stage = "production"
            row.previous_production = current.version if current is not None else None
            row.promoted_at = datetime.now(UTC)
            s.flush()
            mv = _to_version(row)
        self._write_metadata(mv)
        return mv

    def rollback(self, name: str) -> ModelVersion:
        """Archive the production version and restore the one it replaced."""
        with self.db.session() as s:
            current = self._production_row(s, name)
            if current is None:
                self._require_name(s, name)
                raise ConflictError(f"model {name!r} has no production version", code="no_prod")
            if current.previous_production is None:
                raise ConflictError(
                    f"model {name!r} v{current.version} replaced nothing; no rollback target",
                    code="no_rollback_target",
                )
            prev = self._row(s, name, current.previous_production)
            current.stage = "archived"
            s.flush()
            prev.stage = "production"
            prev.promoted_at = datetime.now(UTC)
            s.flush()
            mv = _to_version(prev)
        self._write_metadata(mv)
        return mv

    def archive(self, name: str, version: int) -> ModelVersion:
        """Move a candidate or production version to ``archived``."""
        with self.db.session() as s:
            row = self._row(s, name, version)
            if row.stage == "failed":
                raise ConflictError("a failed version stays failed", code="model_failed")
            row.stage = "archived"
            s.flush()
            mv = _to_version(row)
        self._write_metadata(mv)
        return mv

    def delete_artefacts(self, name: str) -> None:
        """Remove the on-disk artefacts of ``name`` (rows are kept for lineage)."""
        shutil.rmtree(self.root / _check_name(name), ignore_errors=True)

    def _write_metadata(self, mv: ModelVersion) -> None:
        path = self.root / mv.name / str(mv.version)
        path.mkdir(parents=True, exist_ok=True)
        (path / "metadata.json").write_text(
            json.dumps(msgspec.to_builtins(mv), indent=2, sort_keys=True)
        )
