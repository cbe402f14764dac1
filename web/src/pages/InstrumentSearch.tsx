/** Search the instrument catalogue; pick one. */
import { useEffect, useId, useState } from "react";
import { unwrap } from "../api/client";
import type { Instrument } from "../api/types";
import { ErrorBanner } from "../components/ErrorBanner";
import { useServices } from "../context";
import { useRemote } from "../hooks";

export function InstrumentSearch({ selected, onSelect }: { selected: string | null; onSelect: (i: Instrument) => void }) {
  const { api } = useServices();
  const id = useId();
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(text.trim()), 250);
    return () => clearTimeout(t);
  }, [text]);
  const found = useRemote(
    () => unwrap(api.GET("/api/v1/data/instruments", { params: { query: { q, limit: 20 } } })),
    [api, q],
  );
  useEffect(() => {
    const first = found.data?.[0];
    if (!selected && first) onSelect(first);
  }, [found.data, selected, onSelect]);
  return (
    <div className="instrument-search">
      <label htmlFor={id}>Search instruments</label>
      <input id={id} type="search" value={text} placeholder="symbol, name or sector"
        onChange={(e) => setText(e.target.value)} />
      <ErrorBanner error={found.error} />
      <ul className="instrument-list" aria-label="Instruments">
        {found.data?.map((i) => (
          <li key={i.id}>
            <button type="button" aria-pressed={i.id === selected} onClick={() => onSelect(i)}>
              <strong>{i.id}</strong> <span className="muted">{i.name}</span>
            </button>
          </li>
        ))}
        {found.data?.length === 0 && <li className="muted">no instrument matches</li>}
      </ul>
    </div>
  );
}
