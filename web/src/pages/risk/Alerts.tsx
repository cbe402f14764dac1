import { useEffect, useId, useState } from "react";
import { unwrap } from "../../api/client";
import type { Alert } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { useServices } from "../../context";
import { fmtNum, fmtPct, fmtTime } from "../../format";
import { useAction, useRemote } from "../../hooks";

export function Alerts() {
  const { api, stream, me } = useServices();
  const onlyId = useId();
  const [onlyOpen, setOnlyOpen] = useState(false);
  const alerts = useRemote(
    () => unwrap(api.GET("/api/v1/risk/alerts", { params: { query: { unacknowledged: onlyOpen, limit: 100 } } })),
    [api, onlyOpen],
  );
  const { reload } = alerts;
  useEffect(() => stream.subscribe("risk.alerts", () => reload()), [stream, reload]);
  const ack = useAction(async (a: Alert) => {
    await unwrap(api.POST("/api/v1/risk/alerts/{alert_id}/ack", { params: { path: { alert_id: a.id } } }));
    reload();
  });
  const canAck = me?.role === "admin" || me?.role === "trader";
  return (
    <section className="panel" aria-labelledby="alerts-h">
      <h2 id="alerts-h">Breaches and alerts</h2>
      <div className="field field-inline">
        <label htmlFor={onlyId}>Only unacknowledged</label>
        <input id={onlyId} type="checkbox" checked={onlyOpen} onChange={(e) => setOnlyOpen(e.target.checked)} />
      </div>
      <ErrorBanner error={alerts.error ?? ack.error} />
      <DataTable<Alert> caption="Alerts, newest first" rows={alerts.data ?? []} rowKey={(a) => a.id} empty="no alerts"
        columns={[
          { key: "t", label: "Time", render: (a) => fmtTime(a.ts_event) },
          { key: "acct", label: "Account", render: (a) => a.account_id },
          { key: "sev", label: "Severity", render: (a) => <span className={a.severity === "breach" || a.severity === "critical" ? "bad" : undefined}>{a.severity}</span> },
          { key: "metric", label: "Metric", render: (a) => a.metric },
          { key: "util", label: "Utilisation", numeric: true, render: (a) => (
            <><meter min={0} max={1.5} low={0.8} high={1} optimum={0} value={a.utilisation} aria-label={`${a.metric} utilisation`} /> {fmtPct(a.utilisation)}</>
          ) },
          { key: "val", label: "Value / limit", numeric: true, render: (a) => `${fmtNum(a.value)} / ${fmtNum(a.limit)}` },
          { key: "msg", label: "Message", render: (a) => a.message },
          { key: "ack", label: "Acknowledged", render: (a) => a.acknowledged_by ?? (canAck ? (
            <button type="button" disabled={ack.busy} onClick={() => void ack.run(a)} aria-label={`Acknowledge alert ${a.metric} on ${a.account_id}`}>Acknowledge</button>
          ) : "no") },
        ]} />
    </section>
  );
}
