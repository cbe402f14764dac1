/** Start a backtest or sweep job (form from the job kind's JSON Schema), follow it, show results. */
import { useEffect, useId, useState, type FormEvent } from "react";
import { unwrap } from "../api/client";
import type { Job, JobKind } from "../api/types";
import { ErrorBanner } from "../components/ErrorBanner";
import { NotAvailable } from "../components/NotAvailable";
import { SchemaForm } from "../components/SchemaForm";
import { defaults, type JsonSchema } from "../components/schema";
import { useServices } from "../context";
import { useAction, useRemote } from "../hooks";
import type { Theme } from "../theme";
import { JobResult } from "./JobResult";
import { JobProgress, useJob } from "./useJob";

export function ResearchPage({ theme }: { theme: Theme }) {
  const { caps } = useServices();
  if (!caps.has("/api/v1/jobs")) return <NotAvailable feature="Research jobs" endpoint="/api/v1/jobs" />;
  return <Research theme={theme} />;
}

function Research({ theme }: { theme: Theme }) {
  const { api } = useServices();
  const kindId = useId();
  const kinds = useRemote(() => unwrap(api.GET("/api/v1/jobs/kinds")), [api]);
  const research = (kinds.data ?? []).filter((k) => k.tags.includes("backtest"));
  const [kindName, setKindName] = useState<string>("");
  const kind: JobKind | undefined = research.find((k) => k.name === kindName) ?? research[0];
  const [params, setParams] = useState<Record<string, unknown>>({});
  const [jobId, setJobId] = useState<string | null>(null);
  const { job, error: jobError } = useJob(jobId);
  useEffect(() => {
    setParams(kind?.parameters ? defaults(kind.parameters as JsonSchema) : {});
  }, [kind]);
  const submit = useAction(async (e: FormEvent) => {
    e.preventDefault();
    if (!kind) return;
    const r = await unwrap(api.POST("/api/v1/jobs", { body: { kind: kind.name, params } }));
    setJobId(r.job_id);
  });
  return (
    <div className="stack">
      <section className="panel" aria-labelledby="run-h">
        <h2 id="run-h">Run</h2>
        <ErrorBanner error={kinds.error} />
        {kinds.data && research.length === 0 && <p className="muted">This server registers no backtest job kinds.</p>}
        {kind && (
          <form onSubmit={(e) => void submit.run(e)} className="schema-form" noValidate>
            <div className="field">
              <label htmlFor={kindId}>Job kind</label>
              <select id={kindId} value={kind.name} onChange={(e) => setKindName(e.target.value)}>
                {research.map((k) => <option key={k.name} value={k.name}>{k.name}</option>)}
              </select>
              <small>{kind.summary}</small>
            </div>
            {kind.parameters && <SchemaForm key={kind.name} schema={kind.parameters as JsonSchema} value={params} onChange={setParams} />}
            <ErrorBanner error={submit.error} />
            <button type="submit" disabled={submit.busy}>Start {kind.name}</button>
          </form>
        )}
      </section>
      <section className="panel" aria-labelledby="job-h">
        <h2 id="job-h">Job</h2>
        <ErrorBanner error={jobError} />
        {job ? <JobProgress job={job} /> : <p className="muted">No job started in this session.</p>}
        {job?.state === "succeeded" && job.result && <JobResult job={job as Job & { result: Record<string, unknown> }} theme={theme} />}
      </section>
    </div>
  );
}
