/** A line (equity curve) with lightweight-charts; `ts` in ns, or an index when small. */
import { useEffect, useRef } from "react";
import { ColorType, createChart, LineSeries, type UTCTimestamp } from "lightweight-charts";
import type { Theme } from "../theme";

export function LineChart({ points, theme, label }: { points: { ts: number; value: number }[]; theme: Theme; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const dark = theme === "dark";
    const c = createChart(box.current, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: dark ? "#11161d" : "#ffffff" }, textColor: dark ? "#c9d1d9" : "#1f2328" },
      grid: { vertLines: { visible: false }, horzLines: { color: dark ? "#1f2630" : "#eaeef2" } },
    });
    const s = c.addSeries(LineSeries, { color: "#4c8dff", lineWidth: 2 });
    const seen = new Set<number>();
    const data = points
      .map((p) => ({ time: (p.ts > 1e12 ? Math.floor(p.ts / 1e9) : p.ts * 86400) as UTCTimestamp, value: p.value }))
      .filter((p) => (seen.has(p.time) ? false : (seen.add(p.time), true)))
      .sort((a, b) => a.time - b.time);
    s.setData(data);
    c.timeScale().fitContent();
    return () => c.remove();
  }, [points, theme]);
  return <div ref={box} className="chart chart-small" role="img" aria-label={`${label}, ${points.length} points`} />;
}
