/** Pick indicators from the registry (`/api/v1/features/indicators`) and compute them for the chart. */
import { useId, useState } from "react";
import { unwrap, type Api } from "../api/client";
import type { BarPoint, Ok } from "../api/types";
import { ErrorBanner } from "../components/ErrorBanner";
import type { Overlay } from "../components/PriceChart";
import { SchemaForm } from "../components/SchemaForm";
import { defaults, type JsonSchema } from "../components/schema";
import { useServices } from "../context";
import { useAction, useRemote } from "../hooks";

type Indicator = Ok<"/api/v1/features/indicators", "get">[number];
type Values = Ok<"/api/v1/features/values/{instrument_id}", "get">;

const COLORS = ["#f0b429", "#4c8dff", "#c678dd", "#56b6c2", "#e06c75", "#98c379"];

/** Lines of one indicator result; on the price scale when its values sit inside the bars' range. */
export function toOverlay(v: Values, bars: BarPoint[], key: string, colorIndex: number): Overlay {
  const lo = Math.min(...bars.map((b) => b.low));
  const hi = Math.max(...bars.map((b) => b.high));
  const lines = Object.entries(v.values).map(([name, vals], i) => ({
    name,
    color: COLORS[(colorIndex + i) % COLORS.length]!,
    points: v.ts.flatMap((ts, j) => {
      const value = vals[j];
      return value === null || value === undefined ? [] : [{ ts, value }];
    }),
  }));
  const all = lines.flatMap((l) => l.points.map((p) => p.value)).sort((a, b) => a - b);
  const median = all[Math.floor(all.length / 2)];
  const span = hi - lo;
  const onPrice = median !== undefined && median >= lo - span && median <= hi + span;
  const params = Object.entries(v.params).map(([k, x]) => `${k}=${String(x)}`).join(", ");
  return { key, label: `${v.indicator}(${params})`, lines, onPrice };
}

export async function computeOverlay(api: Api, instrumentId: string, timeframe: string, bars: BarPoint[],
  indicator: string, params: Record<string, unknown>, key: string, colorIndex: number): Promise<Overlay> {
  const first = bars[0];
  const last = bars[bars.length - 1];
  if (!first || !last) throw new Error("no bars to compute the indicator on");
  const query: Record<string, string> = { indicator, timeframe, start: String(first.ts), end: String(last.ts + 1) };
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) query[k] = String(v);
  const v = await unwrap(api.GET("/api/v1/features/values/{instrument_id}", {
    // indicator parameters travel as extra query fields, which the typed query does not list
    params: { path: { instrument_id: instrumentId }, query: query as { indicator: string; start: string; end: string } },
  }));
  return toOverlay(v, bars, key, colorIndex);
}

export function IndicatorPicker({ instrumentId, timeframe, bars, overlays, onChange }: {
  instrumentId: string;
  timeframe: string;
  bars: BarPoint[];
  overlays: Overlay[];
  onChange: (o: Overlay[]) => void;
}) {
  const { api } = useServices();
  const selId = useId();
  const list = useRemote(() => unwrap(api.GET("/api/v1/features/indicators")), [api]);
  const [name, setName] = useState("sma");
  const [params, setParams] = useState<Record<string, unknown>>({});
  const chosen: Indicator | undefined = list.data?.find((i) => i.name === name);
  const add = useAction(async () => {
    const o = await computeOverlay(api, instrumentId, timeframe, bars, name, params, `${name}-${Date.now()}`, overlays.length);
    onChange([...overlays, o]);
  });
  const categories = [...new Set((list.data ?? []).map((i) => i.category))].sort();
  return (
    <div className="indicators" role="group" aria-label="Indicator overlays">
      <ErrorBanner error={list.error ?? add.error} />
      <div className="toolbar">
        <label htmlFor={selId}>Indicator</label>
        <select id={selId} value={name} onChange={(e) => { setName(e.target.value); setParams(defaults((list.data?.find((i) => i.name === e.target.value)?.parameters ?? {}) as JsonSchema)); }}>
          {categories.map((c) => (
            <optgroup key={c} label={c}>
              {list.data?.filter((i) => i.category === c).map((i) => <option key={i.name} value={i.name}>{i.name}</option>)}
            </optgroup>
          ))}
        </select>
        <button type="button" disabled={add.busy || bars.length === 0} onClick={() => void add.run()}>Add indicator</button>
        {overlays.map((o) => (
          <button key={o.key} type="button" className="secondary" onClick={() => onChange(overlays.filter((x) => x.key !== o.key))}
            aria-label={`Remove ${o.label}`}>{o.label} ×</button>
        ))}
      </div>
      {chosen?.parameters && (
        <details>
          <summary>{chosen.name} parameters</summary>
          <p className="muted">{chosen.summary}</p>
          <SchemaForm key={chosen.name} schema={chosen.parameters as JsonSchema} value={params} onChange={setParams} />
        </details>
      )}
    </div>
  );
}
