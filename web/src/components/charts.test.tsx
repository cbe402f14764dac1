import { render, screen } from "@testing-library/react";
import { vi } from "vitest";
import { pivot } from "./Heatmap";
import { Waterfall, waterfall } from "./Waterfall";

const calls = vi.hoisted(() => ({ setData: [] as unknown[][], update: [] as unknown[] }));
vi.mock("lightweight-charts", () => {
  const series = () => ({
    setData: (d: unknown[]) => calls.setData.push(d),
    update: (b: unknown) => calls.update.push(b),
    priceScale: () => ({ applyOptions: () => undefined }),
  });
  return {
    ColorType: { Solid: "solid" },
    CandlestickSeries: "candles",
    HistogramSeries: "histogram",
    LineSeries: "line",
    createChart: () => ({ addSeries: series, applyOptions: () => undefined, timeScale: () => ({ fitContent: () => undefined }), remove: () => undefined }),
  };
});

const { PriceChart } = await import("./PriceChart");

const bar = (sec: number, close: number) => ({ ts: sec * 1e9, open: 1, high: 2, low: 0.5, close, volume: 100 });

describe("PriceChart", () => {
  it("loads bars in seconds and applies only current or newer live bars", () => {
    calls.setData.length = 0;
    calls.update.length = 0;
    const bars = [bar(1000, 1.5), bar(2000, 0.8)];
    const { rerender } = render(<PriceChart bars={bars} live={null} theme="dark" label="chart" intraday />);
    expect(calls.setData[0]).toEqual([
      { time: 1000, open: 1, high: 2, low: 0.5, close: 1.5 },
      { time: 2000, open: 1, high: 2, low: 0.5, close: 0.8 },
    ]);
    expect((calls.setData[1] as { color: string }[]).map((v) => v.color)).toEqual(["#26a69a80", "#ef535080"]);
    rerender(<PriceChart bars={bars} live={bar(1500, 9)} theme="dark" label="chart" intraday />);
    expect(calls.update).toHaveLength(0);
    rerender(<PriceChart bars={bars} live={bar(2000, 1.1)} theme="dark" label="chart" intraday />);
    rerender(<PriceChart bars={bars} live={bar(3000, 1.2)} theme="dark" label="chart" intraday />);
    expect((calls.update as { time: number }[]).filter((_, i) => i % 2 === 0).map((u) => u.time)).toEqual([2000, 3000]);
    expect(screen.getByRole("img", { name: "chart" })).toBeInTheDocument();
  });
});

describe("Waterfall", () => {
  it("chains steps and ends with the total", () => {
    expect(waterfall([{ label: "A", value: 100 }, { label: "B", value: -30 }])).toEqual([
      { label: "A", from: 0, to: 100, total: false },
      { label: "B", from: 100, to: 70, total: false },
      { label: "Total", from: 0, to: 70, total: true },
    ]);
  });

  it("describes itself for screen readers", () => {
    render(<Waterfall steps={[{ label: "MSFT", value: 12.5 }, { label: "AAPL", value: -2.5 }]} title="P&L" />);
    expect(screen.getByRole("img")).toHaveAccessibleName("P&L: MSFT 12.50, AAPL -2.50; total 10.00");
  });
});

describe("Heatmap pivot", () => {
  it("puts each exposure at its sector row and instrument column", () => {
    const p = pivot([{ row: "Tech", col: "MSFT", value: 5 }, { row: "Energy", col: "XOM", value: -2 }]);
    expect(p.rows).toEqual(["Energy", "Tech"]);
    expect(p.cols).toEqual(["MSFT", "XOM"]);
    expect(p.at("Tech", "MSFT")).toBe(5);
    expect(p.at("Tech", "XOM")).toBeUndefined();
  });
});
