/** Find and load the most recent bars of a series through the paged bars endpoint. */
import { unwrap, type Api } from "../api/client";
import type { BarPoint, Bars, Timeframe } from "../api/types";

const TF_NS: Record<string, number> = {
  "1m": 60e9, "5m": 300e9, "15m": 900e9, "30m": 1800e9, "1h": 3600e9, "4h": 14400e9,
  "1d": 86400e9, "1w": 7 * 86400e9,
};

export const TIMEFRAMES: Timeframe[] = ["1m", "5m", "15m", "1h", "1d", "1w"];

const PAGE = 1000;
const MAX_PAGES = 12;

/**
 * The latest `keep` bars up to `endNs`: widen a window back from the end until it holds bars
 * (stored history may stop years ago), then page forward through it.
 */
export async function loadRecentBars(api: Api, instrumentId: string, timeframe: Timeframe,
  endNs: number = Date.now() * 1e6, keep = 1500): Promise<BarPoint[]> {
  const step = TF_NS[timeframe] ?? 86400e9;
  let span = step * keep;
  for (let widen = 0; widen < 8; widen++) {
    const windowStart = Math.max(0, endNs - span);
    let start = windowStart;
    const out: BarPoint[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      // the endpoint also answers csv/arrow, so its 200 type is a union: we ask for json
      const body = (await unwrap(api.GET("/api/v1/data/bars/{instrument_id}", {
        params: {
          path: { instrument_id: instrumentId },
          query: { start: String(start), end: String(Math.floor(endNs)), timeframe, limit: PAGE },
        },
      }))) as Bars;
      out.push(...body.bars);
      if (body.next_start == null) break;
      start = body.next_start;
    }
    if (out.length > 0 || windowStart === 0) return out.slice(-keep);
    span *= 4;
  }
  return [];
}
