import { toOverlay } from "./Indicators";

const bars = [100, 102, 101].map((c, i) => ({ ts: (i + 1) * 1e9, open: c, high: c + 1, low: c - 1, close: c, volume: 1 }));

describe("toOverlay", () => {
  it("puts a moving average on the price scale and drops warm-up nulls", () => {
    const o = toOverlay({ instrument_id: "X.Y", indicator: "sma", params: { period: 2 }, lookback: 1, count: 3,
      ts: [1e9, 2e9, 3e9], values: { sma: [null, 101, 101.5] } }, bars, "k", 0);
    expect(o.onPrice).toBe(true);
    expect(o.label).toBe("sma(period=2)");
    expect(o.lines[0]?.points).toEqual([{ ts: 2e9, value: 101 }, { ts: 3e9, value: 101.5 }]);
  });

  it("gives an oscillator far from prices a scale of its own", () => {
    const o = toOverlay({ instrument_id: "X.Y", indicator: "rsi", params: {}, lookback: 0, count: 3,
      ts: [1e9, 2e9, 3e9], values: { rsi: [1000, 2000, 3000] } }, bars, "k", 0);
    expect(o.onPrice).toBe(false);
  });
});
