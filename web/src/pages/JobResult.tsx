/** What a research job returned: scalar metrics, the equity curve, tables, the heatmap image. */
import type { Job } from "../api/types";
import { DataTable } from "../components/DataTable";
import { LineChart } from "../components/LineChart";
import { fmtNum } from "../format";
import type { Theme } from "../theme";

type Row = Record<string, unknown>;

function isRowList(v: unknown): v is Row[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === "object" && r !== null && !Array.isArray(r));
}

/** Scalars at the top level and one level down (`metrics.sharpe`). */
export function scalarMetrics(result: Row): [string, number | string | boolean][] {
  const out: [string, number | string | boolean][] = [];
  for (const [k, v] of Object.entries(result)) {
    if (k.endsWith("_base64")) continue;
    if (typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length < 80)) out.push([k, v]);
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Row)) {
        if (typeof v2 === "number" || typeof v2 === "boolean") out.push([`${k}.${k2}`, v2]);
      }
    }
  }
  return out;
}

/** An equity series if the result has one: `equity` as numbers or `{ts, value}` rows. */
export function equitySeries(result: Row): { ts: number; value: number }[] | null {
  const eq = result.equity ?? result.equity_curve;
  if (Array.isArray(eq) && eq.length > 1) {
    if (eq.every((v) => typeof v === "number")) return (eq as number[]).map((value, i) => ({ ts: i, value }));
    if (isRowList(eq)) {
      const rows = eq.filter((r) => typeof r.value === "number" || typeof r.equity === "number");
      return rows.map((r, i) => ({ ts: typeof r.ts === "number" ? r.ts : i, value: Number(r.value ?? r.equity) }));
    }
  }
  return null;
}

function columnsOf(rows: Row[]) {
  const keys = Object.keys(rows[0] ?? {}).slice(0, 10);
  return keys.map((k) => ({ key: k, label: k, numeric: typeof rows[0]?.[k] === "number",
    render: (r: Row) => (typeof r[k] === "number" ? fmtNum(r[k]) : typeof r[k] === "object" ? JSON.stringify(r[k]) : String(r[k] ?? "")) }));
}

export function JobResult({ job, theme }: { job: Job & { result: Row }; theme: Theme }) {
  const result = job.result;
  const metrics = scalarMetrics(result);
  const equity = equitySeries(result);
  const tables = Object.entries(result).filter((e): e is [string, Row[]] => isRowList(e[1]));
  const heatmap = typeof result.heatmap_png_base64 === "string" ? result.heatmap_png_base64 : null;
  return (
    <div className="stack" data-testid="job-result">
      <DataTable<[string, unknown]> caption="Metrics" rows={metrics} rowKey={([k]) => k}
        columns={[{ key: "k", label: "Metric", render: ([k]) => k },
          { key: "v", label: "Value", numeric: true, render: ([, v]) => fmtNum(v) }]} />
      {equity && <LineChart points={equity} theme={theme} label="Equity curve" />}
      {heatmap && (
        <figure>
          <img src={`data:image/png;base64,${heatmap}`} alt="Parameter heatmap of the objective over the first two parameters" className="heatmap" />
          <figcaption>Parameter heatmap (rendered by the server)</figcaption>
        </figure>
      )}
      {tables.map(([name, rows]) => (
        <DataTable<Row> key={name} caption={`${name} (${rows.length})`} rows={rows.slice(0, 200)}
          rowKey={(r) => JSON.stringify(r)} columns={columnsOf(rows)} />
      ))}
    </div>
  );
}
