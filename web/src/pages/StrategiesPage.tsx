/** The strategy registry: each strategy's parameters as a form from its JSON Schema; run a backtest. */
import { useEffect, useState, type FormEvent } from "react";
import { unwrap } from "../api/client";
import type { components } from "../api/schema";
import type { Job } from "../api/types";
import { ErrorBanner } from "../components/ErrorBanner";
import { NotAvailable } from "../components/NotAvailable";
import { SchemaForm } from "../components/SchemaForm";
import { defaults, type JsonSchema } from "../components/schema";
import { useServices } from "../context";
import { useAction, useRemote } from "../hooks";
import type { Theme } from "../theme";
import { JobResult } from "./JobResult";
import { JobProgress, useJob } from "./useJob";

interface StrategySpec {
  name: string;
  summary?: string;
  tags?: string[];
  parameters?: JsonSchema | null;
}

export function StrategiesPage({ theme }: { theme: Theme }) {
  const { caps } = useServices();
  if (!caps.has("/api/v1/backtests/strategies")) return <NotAvailable feature="Strategy registry" endpoint="/api/v1/backtests/strategies" />;
  return <Strategies theme={theme} />;
}

function Strategies({ theme }: { theme: Theme }) {
  const { api } = useServices();
  const list = useRemote(async () => (await unwrap(api.GET("/api/v1/backtests/strategies"))) as unknown as StrategySpec[], [api]);
  const [name, setName] = useState<string | null>(null);
  const spec = list.data?.find((s) => s.name === name) ?? list.data?.[0];
  return (
    <div className="stack">
      <section className="panel" aria-labelledby="reg-h">
        <h2 id="reg-h">Registry</h2>
        <ErrorBanner error={list.error} />
        <ul className="instrument-list" aria-label="Strategies">
          {list.data?.map((s) => (
            <li key={s.name}>
              <button type="button" aria-pressed={s.name === spec?.name} onClick={() => setName(s.name)}>
                <strong>{s.name}</strong> <span className="muted">{s.summary}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      {spec && <StrategyForm key={spec.name} spec={spec} theme={theme} />}
    </div>
  );
}

function StrategyForm({ spec, theme }: { spec: StrategySpec; theme: Theme }) {
  const { api, me } = useServices();
  const [params, setParams] = useState<Record<string, unknown>>({});
  const [jobId, setJobId] = useState<string | null>(null);
  const { job, error } = useJob(jobId);
  useEffect(() => setParams(spec.parameters ? defaults(spec.parameters) : {}), [spec]);
  const run = useAction(async (e: FormEvent) => {
    e.preventDefault();
    const r = await unwrap(api.POST("/api/v1/backtests", { body: { strategy: spec.name, params } as components["schemas"]["BacktestRequest"] }));
    setJobId(r.job_id);
  });
  const canRun = me?.role === "admin" || me?.role === "trader";
  return (
    <section className="panel" aria-labelledby="params-h">
      <h2 id="params-h">{spec.name} parameters</h2>
      <form className="schema-form" noValidate onSubmit={(e) => void run.run(e)}>
        {spec.parameters ? <SchemaForm schema={spec.parameters} value={params} onChange={setParams} /> : <p className="muted">No parameters.</p>}
        <ErrorBanner error={run.error ?? error} />
        {canRun && <button type="submit" disabled={run.busy}>Backtest {spec.name} (defaults for data)</button>}
      </form>
      {job && <JobProgress job={job} />}
      {job?.state === "succeeded" && job.result && <JobResult job={job as Job & { result: Record<string, unknown> }} theme={theme} />}
    </section>
  );
}
