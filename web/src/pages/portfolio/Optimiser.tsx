import { useState, type FormEvent } from "react";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Optimisation } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SchemaForm } from "../../components/SchemaForm";
import { defaults } from "../../components/schema";
import { useServices } from "../../context";
import { fmtNum, fmtPct } from "../../format";
import { useAction } from "../../hooks";

type OptimiseIn = components["schemas"]["OptimiseIn"];

export function Optimiser() {
  const { api, caps } = useServices();
  const schema = caps.schema("OptimiseIn");
  const [body, setBody] = useState<Record<string, unknown>>(() => (schema ? defaults(schema) : {}));
  const [result, setResult] = useState<Optimisation | null>(null);
  const run = useAction(async (e: FormEvent) => {
    e.preventDefault();
    setResult(await unwrap(api.POST("/api/v1/portfolio/optimise", { body: body as OptimiseIn })));
  });
  if (!schema) return null;
  return (
    <section className="panel" aria-labelledby="opt-h">
      <h2 id="opt-h">Optimiser</h2>
      <details>
        <summary>Inputs (annualised expected returns and covariance)</summary>
        <form className="schema-form" noValidate onSubmit={(e) => void run.run(e)}>
          <SchemaForm schema={schema} value={body} onChange={setBody} />
          <ErrorBanner error={run.error} />
          <button type="submit" disabled={run.busy}>Run optimiser</button>
        </form>
      </details>
      {result && (
        <>
          <p>{result.optimiser} ({result.solver}): expected return {fmtPct(result.expected_return)}, volatility {fmtPct(result.volatility)}, Sharpe {fmtNum(result.sharpe, 3)}</p>
          {result.warnings.map((w) => <p key={w} className="muted">{w}</p>)}
          <DataTable<[string, number]> caption="Weights" rows={Object.entries(result.weights)} rowKey={([k]) => k}
            columns={[{ key: "a", label: "Asset", render: ([k]) => k }, { key: "w", label: "Weight", numeric: true, render: ([, w]) => fmtPct(w) }]} />
        </>
      )}
    </section>
  );
}
