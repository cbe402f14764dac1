"""ML API over a real platform: registry, promote/rollback, inference, errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from httpx import Headers

from nautilus.ml import MLEngine, TrainRequest
from nautilus.ml.jobs import PriceSource, train_and_register
from nautilus.platform import Platform

SYN = PriceSource(kind="synthetic", n=900, seed=3)


def _train(engine: MLEngine, name: str, promote: str) -> None:
    req = TrainRequest(name=name, model="direction.logistic", source=SYN, n_splits=2,
                       promote=promote)  # type: ignore[arg-type]
    train_and_register(req, engine.registry)


def test_registry_inference_and_lifecycle(
    client: TestClient, platform: Platform, admin: Headers,
    make_user: Callable[[str], tuple[str, Headers]],
) -> None:
    engine = platform.engine("ml")
    assert isinstance(engine, MLEngine)
    _train(engine, "api-dir", "always")
    _train(engine, "api-dir", "always")
    _, viewer = make_user("viewer")

    kinds = client.get("/api/v1/ml/kinds", headers=viewer).json()
    assert {"direction.logistic", "regime.hmm", "vol.garch"} <= {k["name"] for k in kinds}
    assert "api-dir" in client.get("/api/v1/ml/models", headers=viewer).json()
    versions = client.get("/api/v1/ml/models/api-dir/versions", headers=viewer).json()
    stages = {v["version"]: v["stage"] for v in versions}
    assert stages == {1: "archived", 2: "production"}
    features = versions[1]["features"]

    row = {f: 0.01 * (i + 1) for i, f in enumerate(features)}
    pred = client.post("/api/v1/ml/predict/api-dir", json={"features": row}, headers=viewer)
    assert pred.status_code == 200, pred.text
    body = pred.json()
    assert body["version"] == 2 and len(body["values"]) == 1
    assert 0.0 <= body["values"][0] <= 1.0
    assert abs(body["confidence"][0] - abs(2 * body["values"][0] - 1)) < 1e-12
    direct = engine.predict("api-dir", [row])
    assert body["values"] == direct.values

    # viewers cannot change stages; admins roll back to the previous production
    assert client.post("/api/v1/ml/models/api-dir/rollback", headers=viewer).status_code == 403
    back = client.post("/api/v1/ml/models/api-dir/rollback", headers=admin)
    assert back.status_code == 200 and back.json()["version"] == 1
    again = client.post("/api/v1/ml/predict/api-dir", json={"features": [row, row]},
                        headers=viewer).json()
    assert again["version"] == 1 and len(again["values"]) == 2
    promoted = client.post("/api/v1/ml/models/api-dir/promote", json={"version": 2},
                           headers=admin)
    assert promoted.status_code == 200 and promoted.json()["stage"] == "production"

    # a version named in the body that does not exist is a 422 naming it, for both
    no_version = client.post("/api/v1/ml/predict/api-dir", json={"features": row, "version": 9},
                             headers=viewer)
    assert no_version.status_code == 422, no_version.text
    assert no_version.json()["code"] == "unknown_model_version"
    assert "no version 9" in no_version.json()["detail"]
    bad_promote = client.post("/api/v1/ml/models/api-dir/promote", json={"version": 9},
                              headers=admin)
    assert bad_promote.status_code == 422 and bad_promote.json()["parameter"] == "version"
    assert engine.registry.get("api-dir").version == 2  # nothing changed


def test_errors_are_problems(client: TestClient, admin: Headers) -> None:
    missing = client.post("/api/v1/ml/predict/no-such-model", json={"features": {"a": 1.0}},
                          headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    empty = client.post("/api/v1/ml/predict/x", json={"features": []}, headers=admin)
    assert empty.status_code == 422
    bad = client.post("/api/v1/ml/train", json={"name": "x", "model": "nope"}, headers=admin)
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    assert bad.json()["code"] == "unknown_model_kind" and "direction.hgb" in bad.json()["detail"]
    unknown_field = client.post("/api/v1/ml/predict/x", json={"features": {}, "extra": 1},
                                headers=admin)
    assert unknown_field.status_code == 422
