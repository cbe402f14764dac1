import { useId, useState } from "react";
import { unwrap } from "../../api/client";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { useServices } from "../../context";
import { useAction, useRemote } from "../../hooks";

export function States() {
  const { api, me } = useServices();
  const ids = { acct: useId(), reason: useId() };
  const states = useRemote(() => unwrap(api.GET("/api/v1/risk/state")), [api]);
  const [armed, setArmed] = useState(false);
  const [form, setForm] = useState({ account_id: "", reason: "kill switch" });
  const kill = useAction(async () => {
    await unwrap(api.POST("/api/v1/risk/kill", { body: { account_id: form.account_id || null, cancel_orders: true, reason: form.reason } }));
    setArmed(false);
    states.reload();
  });
  const resume = useAction(async (account: string) => {
    await unwrap(api.PUT("/api/v1/risk/state", { body: { state: "active", account_id: account === "*" || account === "global" ? null : account, reason: "resumed from the dashboard" } }));
    states.reload();
  });
  const rows = Object.entries(states.data?.states ?? {});
  const isAdmin = me?.role === "admin";
  return (
    <section className="panel" aria-labelledby="states-h">
      <h2 id="states-h">Trading state</h2>
      <ErrorBanner error={states.error ?? kill.error ?? resume.error} />
      <DataTable<[string, string]> caption="Trading states" rows={rows} rowKey={([k]) => k} empty="every account active"
        columns={[
          { key: "scope", label: "Scope", render: ([k]) => k },
          { key: "state", label: "State", render: ([, v]) => <span className={v === "active" ? "ok" : "bad"}>{v}</span> },
          { key: "act", label: "Action", render: ([k, v]) => isAdmin && v !== "active" ? (
            <button type="button" className="secondary" onClick={() => void resume.run(k)}>Resume {k}</button>
          ) : null },
        ]} />
      {isAdmin && (
        <div className="inline-form" role="group" aria-label="Kill switch">
          <div className="field"><label htmlFor={ids.acct}>Account (empty = everything)</label>
            <input id={ids.acct} value={form.account_id} onChange={(e) => setForm({ ...form, account_id: e.target.value })} /></div>
          <div className="field"><label htmlFor={ids.reason}>Reason</label>
            <input id={ids.reason} value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} /></div>
          {armed ? (
            <>
              <button type="button" className="danger" disabled={kill.busy} onClick={() => void kill.run()}>Confirm: halt and cancel orders</button>
              <button type="button" className="secondary" onClick={() => setArmed(false)}>Keep trading</button>
            </>
          ) : (
            <button type="button" className="danger" onClick={() => setArmed(true)}>Kill switch…</button>
          )}
        </div>
      )}
    </section>
  );
}
