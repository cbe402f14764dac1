import { useId, useState, type FormEvent } from "react";
import { unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SchemaForm } from "../../components/SchemaForm";
import { defaults } from "../../components/schema";
import { useServices } from "../../context";
import { useAction, type Remote } from "../../hooks";
import type { components } from "../../api/schema";
import type { TradingAccount as Account } from "../../api/types";

type SessionRequest = components["schemas"]["PaperSessionRequest"];

export function Sessions({ sessions, account, onAccount }: {
  sessions: Remote<Account[]>;
  account: string;
  onAccount: (id: string) => void;
}) {
  const { api, caps, me } = useServices();
  const selId = useId();
  const [open, setOpen] = useState(false);
  const schema = caps.schema("PaperSessionRequest");
  const [params, setParams] = useState<Record<string, unknown>>(() => (schema ? defaults(schema) : {}));
  const start = useAction(async (e: FormEvent) => {
    e.preventDefault();
    const acc = await unwrap(api.POST("/api/v1/trading/sessions", { body: params as SessionRequest }));
    sessions.reload();
    onAccount(acc.account_id);
    setOpen(false);
  });
  const stop = useAction(async (id: string) => {
    await unwrap(api.POST("/api/v1/trading/sessions/{account_id}/stop", { params: { path: { account_id: id } } }));
    sessions.reload();
  });
  const canTrade = me?.role === "admin" || me?.role === "trader";
  const list = sessions.data ?? [];
  const current = list.find((a) => a.account_id === account);
  return (
    <section className="panel" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Paper sessions</h2>
      <ErrorBanner error={sessions.error ?? stop.error} />
      <div className="toolbar">
        {list.length > 0 ? (
          <>
            <label htmlFor={selId}>Account</label>
            <select id={selId} value={account} onChange={(e) => onAccount(e.target.value)}>
              {list.map((a) => <option key={a.account_id} value={a.account_id}>{a.account_id} ({a.state})</option>)}
            </select>
            {current && <span className="muted">{current.strategy ?? "manual"} · {current.starting_cash} {current.currency} starting cash</span>}
            {current && canTrade && current.state !== "stopped" && (
              <button type="button" className="secondary" onClick={() => void stop.run(current.account_id)}>Stop session</button>
            )}
          </>
        ) : (
          !sessions.loading && <span className="muted">No paper session yet.</span>
        )}
        {canTrade && (
          <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>New paper session</button>
        )}
      </div>
      {open && (
        <form className="schema-form" noValidate onSubmit={(e) => void start.run(e)} aria-label="New paper session">
          {schema ? <SchemaForm schema={schema} value={params} onChange={setParams} /> : <p className="muted">defaults</p>}
          <ErrorBanner error={start.error} />
          <button type="submit" disabled={start.busy}>Start session</button>
        </form>
      )}
    </section>
  );
}
