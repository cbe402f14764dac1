/** Candles + volume, timeframe switch, live bars over /ws, latest quote, book depth, search. */
import { useCallback, useEffect, useId, useState } from "react";
import { unwrap } from "../api/client";
import type { BarPoint, Instrument, Timeframe } from "../api/types";
import { ErrorBanner } from "../components/ErrorBanner";
import { NotAvailable } from "../components/NotAvailable";
import { PriceChart, type Overlay } from "../components/PriceChart";
import { useServices } from "../context";
import { fmtNum, fmtTime } from "../format";
import { useRemote } from "../hooks";
import type { Theme } from "../theme";
import { IndicatorPicker } from "./Indicators";
import { InstrumentSearch } from "./InstrumentSearch";
import { loadRecentBars, TIMEFRAMES } from "./bars";
import { BookDepth } from "./BookDepth";
import { LiveStatus, useLiveBar } from "./LiveBar";

function Quote({ instrumentId }: { instrumentId: string }) {
  const { api } = useServices();
  const q = useRemote(
    () => unwrap(api.GET("/api/v1/data/quotes/{instrument_id}", { params: { path: { instrument_id: instrumentId } } })),
    [api, instrumentId],
  );
  if (q.error) return <p className="muted">Quote: {q.error}</p>;
  if (!q.data) return null;
  return (
    <p>
      Quote: bid {fmtNum(q.data.bid)} × {fmtNum(q.data.bid_size)} / ask {fmtNum(q.data.ask)} × {fmtNum(q.data.ask_size)}
      <span className="muted"> at {fmtTime(q.data.ts_event)}</span>
    </p>
  );
}

export function MarketsPage({ theme }: { theme: Theme }) {
  const { api, caps } = useServices();
  const tfId = useId();
  const [instrument, setInstrument] = useState<Instrument | null>(null);
  const [tf, setTf] = useState<Timeframe>("1d");
  const select = useCallback((i: Instrument) => setInstrument(i), []);
  if (!caps.has("/api/v1/data")) {
    return <NotAvailable feature="Market data" endpoint="/api/v1/data" />;
  }
  return (
    <div className="markets">
      <aside className="panel">
        <InstrumentSearch selected={instrument?.id ?? null} onSelect={select} />
      </aside>
      <section className="panel grow" aria-labelledby="chart-title">
        <div className="toolbar">
          <h2 id="chart-title">{instrument ? `${instrument.id} · ${instrument.name}` : "Chart"}</h2>
          <label htmlFor={tfId}>Timeframe</label>
          <select id={tfId} value={tf} onChange={(e) => setTf(e.target.value as Timeframe)}>
            {TIMEFRAMES.map((t) => (
              <option key={t} value={t}>{t}</option>
            ))}
          </select>
        </div>
        {instrument ? <ChartPanel key={`${instrument.id}-${tf}`} instrumentId={instrument.id} tf={tf} theme={theme} api={api} /> : <p className="muted">Pick an instrument.</p>}
        {instrument && <Quote instrumentId={instrument.id} />}
        {caps.has("/api/v1/data/book") ? (
          instrument && <BookDepth instrumentId={instrument.id} />
        ) : (
          <NotAvailable feature="Order book depth" endpoint="/api/v1/data/book/{instrument_id}" />
        )}
      </section>
    </div>
  );
}

function ChartPanel({ instrumentId, tf, theme, api }: { instrumentId: string; tf: Timeframe; theme: Theme; api: ReturnType<typeof useServices>["api"] }) {
  const bars = useRemote(() => loadRecentBars(api, instrumentId, tf), [api, instrumentId, tf]);
  const [data, setData] = useState<BarPoint[]>([]);
  useEffect(() => setData(bars.data ?? []), [bars.data]);
  const live = useLiveBar(instrumentId, tf);
  const { caps } = useServices();
  const [overlays, setOverlays] = useState<Overlay[]>([]);
  const last = data[data.length - 1];
  return (
    <>
      <ErrorBanner error={bars.error} />
      {bars.loading && <p className="muted" role="status">loading bars…</p>}
      {!bars.loading && !bars.error && data.length === 0 && <p className="muted">No stored {tf} bars for {instrumentId}.</p>}
      {caps.has("/api/v1/features/values") ? (
        <IndicatorPicker instrumentId={instrumentId} timeframe={tf} bars={data} overlays={overlays} onChange={setOverlays} />
      ) : (
        <NotAvailable feature="Indicator overlays" endpoint="/api/v1/features/values/{instrument_id}" />
      )}
      <PriceChart bars={data} live={live.bar} theme={theme} overlays={overlays} intraday={!["1d", "1w"].includes(tf)}
        label={`Candlestick chart of ${instrumentId}, ${tf}, ${data.length} bars`} />
      <p className="muted" data-testid="history-summary">
        {data.length} bars{last ? `, last close ${fmtNum(last.close)} at ${fmtTime(last.ts)}` : ""}
      </p>
      <LiveStatus live={live} />
    </>
  );
}
