"""Yahoo and Alpha Vantage sources on recorded responses, wired for quote failover tests.

Yahoo knows AAPL (``chart_aapl_1d.json``, last price 181.18) and answers 404 for IBM and NOPE;
MSFT hits a 502 on every call (to drive the source unhealthy). Alpha Vantage knows IBM
(``global_quote_ibm.json``, 159.16) and answers its documented empty ``Global Quote`` for
anything else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from nautilus.data.sources.alphavantage import AlphaVantageConfig, AlphaVantageSource
from nautilus.data.sources.yahoo import YahooConfig, YahooSource
from tests.sources.recorded import Recorded, Replay, Sleeps

HERE = Path(__file__).parent
FAST = {"rate_limit_per_s": 1000.0, "rate_limit_burst": 100, "max_retries": 0}


@dataclass
class QuoteSources:
    yahoo: YahooSource
    alphavantage: AlphaVantageSource
    yahoo_replay: Replay
    alphavantage_replay: Replay


def recorded_quote_sources() -> QuoteSources:
    yahoo_replay = Replay(HERE / "yahoo" / "resources")
    yahoo_replay.add("/v8/finance/chart/AAPL", "chart_aapl_1d.json")
    yahoo_replay.add("/v8/finance/chart/MSFT", Recorded("server_error.html", status=502))
    for symbol in ("IBM", "NOPE"):
        yahoo_replay.add(
            f"/v8/finance/chart/{symbol}", Recorded("chart_not_found.json", status=404)
        )
    av_replay = Replay(HERE / "alphavantage" / "resources")
    av_replay.add("/query", "global_quote_ibm.json", function="GLOBAL_QUOTE", symbol="IBM")
    av_replay.add("/query", "global_quote_unknown.json", function="GLOBAL_QUOTE")
    ys, avs = Sleeps(), Sleeps()
    yahoo = YahooSource(
        YahooConfig(**FAST),  # type: ignore[arg-type]
        transport=yahoo_replay.transport,
        sleep=ys,
        clock=ys.monotonic,
        rng=random.Random(7),
    )
    av = AlphaVantageSource(
        AlphaVantageConfig(api_key="AVKEY-TEST-0001", **FAST),  # type: ignore[arg-type]
        transport=av_replay.transport,
        sleep=avs,
        clock=avs.monotonic,
        rng=random.Random(3),
    )
    return QuoteSources(yahoo, av, yahoo_replay, av_replay)
