/** Candlesticks with volume (TradingView lightweight-charts); `live` updates the last bar. */
import { useEffect, useRef } from "react";
import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from "lightweight-charts";
import type { BarPoint } from "../api/types";
import type { Theme } from "../theme";

export interface Overlay {
  key: string;
  label: string;
  lines: { name: string; color: string; points: { ts: number; value: number }[] }[];
  /** On the price scale (moving averages, bands) or on a scale of its own (oscillators). */
  onPrice: boolean;
}

const UP = "#26a69a";
const DOWN = "#ef5350";

export function toSeconds(ns: number): UTCTimestamp {
  return Math.floor(ns / 1e9) as UTCTimestamp;
}

export function candle(b: BarPoint) {
  return { time: toSeconds(b.ts), open: b.open, high: b.high, low: b.low, close: b.close };
}

export function volumeBar(b: BarPoint) {
  return { time: toSeconds(b.ts), value: b.volume, color: b.close >= b.open ? `${UP}80` : `${DOWN}80` };
}

function colors(theme: Theme) {
  return theme === "dark"
    ? { background: "#11161d", text: "#c9d1d9", grid: "#1f2630" }
    : { background: "#ffffff", text: "#1f2328", grid: "#eaeef2" };
}

export function PriceChart({ bars, live, theme, label, intraday, overlays = [] }: {
  bars: BarPoint[];
  live: BarPoint | null;
  overlays?: Overlay[];
  theme: Theme;
  label: string;
  intraday: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const candles = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const volume = useRef<ISeriesApi<"Histogram"> | null>(null);
  const lastTime = useRef<number>(0);

  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, { autoSize: true });
    candles.current = c.addSeries(CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
    });
    volume.current = c.addSeries(HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "" });
    volume.current.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    candles.current.priceScale().applyOptions({ scaleMargins: { top: 0.1, bottom: 0.25 } });
    chart.current = c;
    return () => {
      c.remove();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const k = colors(theme);
    chart.current?.applyOptions({
      layout: { background: { type: ColorType.Solid, color: k.background }, textColor: k.text },
      grid: { vertLines: { color: k.grid }, horzLines: { color: k.grid } },
      timeScale: { timeVisible: intraday, secondsVisible: false },
    });
  }, [theme, intraday]);

  useEffect(() => {
    candles.current?.setData(bars.map(candle));
    volume.current?.setData(bars.map(volumeBar));
    lastTime.current = bars.length ? toSeconds(bars[bars.length - 1]!.ts) : 0;
    chart.current?.timeScale().fitContent();
  }, [bars]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const added = overlays.flatMap((o) =>
      o.lines.map((l) => {
        const s = c.addSeries(LineSeries, {
          color: l.color, lineWidth: 1, title: o.lines.length > 1 ? l.name : o.label,
          priceScaleId: o.onPrice ? "right" : "left", lastValueVisible: false, priceLineVisible: false,
        });
        s.setData(l.points.map((p) => ({ time: toSeconds(p.ts), value: p.value })));
        return s;
      }),
    );
    c.applyOptions({ leftPriceScale: { visible: overlays.some((o) => !o.onPrice) } });
    return () => added.forEach((s) => c.removeSeries(s));
  }, [overlays]);

  useEffect(() => {
    if (!live) return;
    const t = toSeconds(live.ts);
    if (t < lastTime.current) return; // the chart only accepts the last bar or a newer one
    lastTime.current = t;
    candles.current?.update(candle(live));
    volume.current?.update(volumeBar(live));
  }, [live]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
