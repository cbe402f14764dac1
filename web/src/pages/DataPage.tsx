/** Sources with health (admins can enable/disable) and backfill jobs. */
import { useId, useState, type FormEvent } from "react";
import { unwrap } from "../api/client";
import type { Job, Source, SourceHealth, Timeframe } from "../api/types";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { NotAvailable } from "../components/NotAvailable";
import { useServices } from "../context";
import { useAction, useRemote } from "../hooks";
import { TIMEFRAMES } from "./bars";
import { JobProgress, useJob } from "./useJob";

export function DataPage() {
  const { caps } = useServices();
  if (!caps.has("/api/v1/data")) return <NotAvailable feature="Data sources" endpoint="/api/v1/data/sources" />;
  return (
    <>
      <Sources />
      <Backfills />
    </>
  );
}

function Sources() {
  const { api, me } = useServices();
  const sources = useRemote(() => unwrap(api.GET("/api/v1/data/sources")), [api]);
  const health = useRemote(() => unwrap(api.GET("/api/v1/data/sources/health")), [api]);
  const toggle = useAction(async (s: Source) => {
    const path = s.enabled ? "/api/v1/data/sources/{name}/disable" : "/api/v1/data/sources/{name}/enable";
    await unwrap(api.POST(path, { params: { path: { name: s.name } } }));
    sources.reload();
    health.reload();
  });
  const byName = new Map<string, SourceHealth>((health.data?.sources ?? []).map((h) => [h.source, h]));
  const isAdmin = me?.role === "admin";
  return (
    <section className="panel" aria-labelledby="sources-h">
      <h2 id="sources-h">Sources {health.data && <span className={health.data.healthy ? "ok" : "bad"}>{health.data.healthy ? "healthy" : "degraded"}</span>}</h2>
      <ErrorBanner error={sources.error ?? health.error ?? toggle.error} />
      <DataTable<Source>
        caption="Configured data sources"
        rows={sources.data ?? []}
        rowKey={(s) => s.name}
        columns={[
          { key: "name", label: "Source", render: (s) => <strong>{s.name}</strong> },
          { key: "summary", label: "Summary", render: (s) => s.summary },
          { key: "caps", label: "Capabilities", render: (s) => s.capabilities.join(", ") },
          { key: "health", label: "Health", render: (s) => {
            const h = byName.get(s.name);
            return h ? <span className={h.healthy ? "ok" : "bad"}>{h.healthy ? "healthy" : "unhealthy"}</span> : "—";
          } },
          { key: "enabled", label: "Enabled", render: (s) => isAdmin ? (
            <button type="button" disabled={toggle.busy} onClick={() => void toggle.run(s)}
              aria-label={`${s.enabled ? "Disable" : "Enable"} ${s.name}`}>{s.enabled ? "Disable" : "Enable"}</button>
          ) : (s.enabled ? "yes" : "no") },
        ]}
      />
    </section>
  );
}

function Backfills() {
  const { api, me } = useServices();
  const ids = { inst: useId(), src: useId(), tf: useId(), start: useId(), end: useId() };
  const [form, setForm] = useState({ instrument_id: "", source: "synthetic", timeframe: "1d" as Timeframe, start: "2024-01-01", end: "2024-02-01", resume: true });
  const [jobId, setJobId] = useState<string | null>(null);
  const jobs = useRemote(() => unwrap(api.GET("/api/v1/jobs", { params: { query: { limit: 50 } } })), [api, jobId]);
  const current = useJob(jobId);
  const submit = useAction(async (e: FormEvent) => {
    e.preventDefault();
    const r = await unwrap(api.POST("/api/v1/data/backfills", { body: form }));
    setJobId(r.job_id);
  });
  const canTrade = me?.role === "admin" || me?.role === "trader";
  const backfills = (jobs.data ?? []).filter((j) => j.kind.includes("backfill"));
  return (
    <section className="panel" aria-labelledby="backfill-h">
      <h2 id="backfill-h">Backfill jobs</h2>
      {canTrade && (
        <form className="inline-form" onSubmit={(e) => void submit.run(e)}>
          <div className="field"><label htmlFor={ids.inst}>Instrument</label>
            <input id={ids.inst} required value={form.instrument_id} placeholder="MSFT.XNAS"
              onChange={(e) => setForm({ ...form, instrument_id: e.target.value })} /></div>
          <div className="field"><label htmlFor={ids.src}>Source</label>
            <input id={ids.src} required value={form.source} onChange={(e) => setForm({ ...form, source: e.target.value })} /></div>
          <div className="field"><label htmlFor={ids.tf}>Timeframe</label>
            <select id={ids.tf} value={form.timeframe} onChange={(e) => setForm({ ...form, timeframe: e.target.value as Timeframe })}>
              {TIMEFRAMES.map((t) => <option key={t}>{t}</option>)}
            </select></div>
          <div className="field"><label htmlFor={ids.start}>Start</label>
            <input id={ids.start} type="date" required value={form.start} onChange={(e) => setForm({ ...form, start: e.target.value })} /></div>
          <div className="field"><label htmlFor={ids.end}>End</label>
            <input id={ids.end} type="date" required value={form.end} onChange={(e) => setForm({ ...form, end: e.target.value })} /></div>
          <button type="submit" disabled={submit.busy}>Start backfill</button>
        </form>
      )}
      <ErrorBanner error={submit.error ?? current.error ?? jobs.error} />
      {current.job && <JobProgress job={current.job} />}
      <DataTable<Job>
        caption="Recent backfills"
        rows={backfills}
        rowKey={(j) => j.id}
        empty="no backfill jobs yet"
        columns={[
          { key: "id", label: "Job", render: (j) => <code>{j.id}</code> },
          { key: "state", label: "State", render: (j) => j.state },
          { key: "progress", label: "Progress", numeric: true, render: (j) => `${Math.round(j.progress * 100)}%` },
          { key: "params", label: "Series", render: (j) => `${String(j.params.instrument_id ?? "")} ${String(j.params.timeframe ?? "")}` },
          { key: "message", label: "Message", render: (j) => j.error ?? j.message ?? "" },
        ]}
      />
    </section>
  );
}
