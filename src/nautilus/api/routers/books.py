"""``/api/v1/data/book``: live order book depth (see :mod:`nautilus.data.books`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from nautilus.api.deps import PlatformDep, Reader
from nautilus.api.schemas.books import BookDepthOut
from nautilus.api.schemas.common import AUTHED, problem_responses
from nautilus.data.books import BooksEngine

router = APIRouter(prefix="/api/v1/data", tags=["data"])

InstrumentId = Annotated[str, Path(min_length=3, max_length=64, pattern=r"^[\w^=\-]+(\.[\w\-]+)+$")]


@router.get(
    "/book/{instrument_id}",
    response_model=BookDepthOut,
    summary="Order book depth of an instrument",
    responses=problem_responses(*AUTHED, 404, 503),
)
def book_depth(
    instrument_id: InstrumentId,
    _: Reader,
    platform: PlatformDep,
    depth: Annotated[int, Query(ge=1, le=100, description="Levels per side")] = 10,
) -> BookDepthOut:
    """Top ``depth`` bid and ask levels (prices and sizes as decimal strings), spread, mid and
    imbalance. Changes stream on ``book.<instrument_id>``."""
    engine = platform.engine("books")
    assert isinstance(engine, BooksEngine)
    return BookDepthOut.of(engine.depth(instrument_id, depth))
