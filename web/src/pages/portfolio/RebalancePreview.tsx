import { useId, useState, type FormEvent } from "react";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Plan } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SchemaForm } from "../../components/SchemaForm";
import { useServices } from "../../context";
import { fmtNum, fmtPct } from "../../format";
import { useAction } from "../../hooks";

type RebalanceIn = components["schemas"]["RebalanceIn"];
type Trade = Plan["trades"][number];

export function RebalancePreview() {
  const { api, caps } = useServices();
  const pid = useId();
  const schema = caps.schema("RebalanceIn");
  const [portfolio, setPortfolio] = useState("");
  const [body, setBody] = useState<Record<string, unknown>>({});
  const [plan, setPlan] = useState<Plan | null>(null);
  const run = useAction(async (e: FormEvent) => {
    e.preventDefault();
    setPlan(await unwrap(api.POST("/api/v1/portfolio/portfolios/{portfolio_id}/rebalance/preview", {
      params: { path: { portfolio_id: portfolio } }, body: body as RebalanceIn })));
  });
  const names = plan ? [...new Set([...Object.keys(plan.weights_before), ...Object.keys(plan.weights_after)])] : [];
  return (
    <section className="panel" aria-labelledby="reb-h">
      <h2 id="reb-h">Rebalance preview</h2>
      <form className="schema-form" noValidate onSubmit={(e) => void run.run(e)}>
        <div className="field"><label htmlFor={pid}>Portfolio id</label>
          <input id={pid} required value={portfolio} onChange={(e) => setPortfolio(e.target.value)} /></div>
        {schema && <details><summary>Targets and options (empty = the portfolio's policy)</summary><SchemaForm schema={schema} value={body} onChange={setBody} /></details>}
        <ErrorBanner error={run.error} />
        <button type="submit" disabled={run.busy}>Preview</button>
      </form>
      {plan && (
        <>
          <p>Value {fmtNum(plan.total_value, 2)} · cash {fmtNum(plan.cash_before, 2)} → {fmtNum(plan.cash_after, 2)} · turnover {fmtPct(plan.turnover)} · realised ST {fmtNum(plan.realised_short_term, 2)} / LT {fmtNum(plan.realised_long_term, 2)}</p>
          {plan.warnings.map((w) => <p key={w} className="muted">{w}</p>)}
          <DataTable<string> caption="Weights" rows={names} rowKey={(n) => n}
            columns={[{ key: "n", label: "Asset", render: (n) => n },
              { key: "b", label: "Before", numeric: true, render: (n) => fmtPct(plan.weights_before[n] ?? 0) },
              { key: "t", label: "Target", numeric: true, render: (n) => fmtPct(plan.targets[n] ?? 0) },
              { key: "a", label: "After", numeric: true, render: (n) => fmtPct(plan.weights_after[n] ?? 0) }]} />
          <DataTable<Trade> caption="Trades" rows={plan.trades} rowKey={(t) => JSON.stringify(t)} empty="no trades needed"
            columns={Object.keys(plan.trades[0] ?? {}).slice(0, 8).map((k) => ({ key: k, label: k,
              render: (t: Trade) => { const x = (t as Record<string, unknown>)[k]; return typeof x === "number" ? fmtNum(x, 2) : String(x ?? ""); } }))} />
        </>
      )}
    </section>
  );
}
