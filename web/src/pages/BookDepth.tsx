/** Order book depth of one instrument: top levels a side, spread, mid and imbalance. */
import { useEffect } from "react";
import { unwrap } from "../api/client";
import { useServices } from "../context";
import { fmtTime } from "../format";
import { useRemote } from "../hooks";

export const BOOK_LEVELS = 10;
export const BOOK_REFRESH_MS = 2000;

export function BookDepth({ instrumentId, refreshMs = BOOK_REFRESH_MS }: { instrumentId: string; refreshMs?: number }) {
  const { api } = useServices();
  const book = useRemote(
    () =>
      unwrap(
        api.GET("/api/v1/data/book/{instrument_id}", {
          params: { path: { instrument_id: instrumentId }, query: { depth: BOOK_LEVELS } },
        }),
      ),
    [api, instrumentId],
  );
  const { reload } = book;
  useEffect(() => {
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [reload, refreshMs]);
  if (book.error) return <p className="muted">Order book: {book.error}</p>;
  const d = book.data;
  if (!d) return null;
  const rows = Math.max(d.bids.length, d.asks.length);
  // Sizes are scaled against the largest level shown, so the bars compare both sides.
  const biggest = Math.max(1, ...d.bids.map((l) => Number(l.size)), ...d.asks.map((l) => Number(l.size)));
  const bar = (size: string) => `${Math.round((Number(size) / biggest) * 100)}%`;
  return (
    <section aria-label={`Order book of ${instrumentId}`} className="book">
      <h3>Order book</h3>
      {rows === 0 ? (
        <p className="muted">The book of {instrumentId} is empty.</p>
      ) : (
        <table className="book-depth">
          <thead>
            <tr>
              <th scope="col">Bid size</th>
              <th scope="col">Bid</th>
              <th scope="col">Ask</th>
              <th scope="col">Ask size</th>
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: rows }, (_, i) => {
              const b = d.bids[i];
              const a = d.asks[i];
              return (
                <tr key={i}>
                  <td className="num" style={b ? { background: `linear-gradient(to left, var(--up, #2e7d32) ${bar(b.size)}, transparent 0)` } : undefined}>{b?.size ?? ""}</td>
                  <td className="num">{b?.price ?? ""}</td>
                  <td className="num">{a?.price ?? ""}</td>
                  <td className="num" style={a ? { background: `linear-gradient(to right, var(--down, #c62828) ${bar(a.size)}, transparent 0)` } : undefined}>{a?.size ?? ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="muted" data-testid="book-summary">
        spread {d.spread ?? "–"} · mid {d.mid ?? "–"} · imbalance {d.imbalance == null ? "–" : d.imbalance.toFixed(3)}
        {d.ts ? ` · at ${fmtTime(d.ts)}` : ""}
      </p>
    </section>
  );
}
