/** Display helpers; the API's times are int ns UTC. */
export function nsToDate(ns: number): Date {
  return new Date(Math.floor(ns / 1e6));
}

export function fmtTime(ns: number): string {
  return nsToDate(ns).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function fmtNum(v: unknown, digits = 4): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return v === null || v === undefined ? "—" : String(v);
  return Math.abs(v) >= 1e6 ? v.toExponential(3) : String(Number(v.toFixed(digits)));
}

export function fmtPct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
