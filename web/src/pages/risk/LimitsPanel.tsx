import { useId, useState, type FormEvent } from "react";
import { unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Limits } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { SchemaForm } from "../../components/SchemaForm";
import { useServices } from "../../context";
import { useAction, useRemote } from "../../hooks";

type Scope = components["schemas"]["LimitScope"];

function describe(l: Limits["limits"]): string {
  return Object.entries(l).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("|") : String(v)}`).join(", ") || "none";
}

export function LimitsPanel() {
  const { api, caps, me } = useServices();
  const ids = { scope: useId(), key: useId() };
  const limits = useRemote(() => unwrap(api.GET("/api/v1/risk/limits")), [api]);
  const [scope, setScope] = useState<Scope>("account");
  const [key, setKey] = useState("");
  const [values, setValues] = useState<Record<string, unknown>>({});
  const schema = caps.schema("LimitSet");
  const save = useAction(async (e: FormEvent) => {
    e.preventDefault();
    await unwrap(api.PUT("/api/v1/risk/limits/{scope}/{key}", { params: { path: { scope, key } }, body: values as Limits["limits"] }));
    limits.reload();
  });
  return (
    <section className="panel" aria-labelledby="limits-h">
      <h2 id="limits-h">Limits</h2>
      <ErrorBanner error={limits.error} />
      <DataTable<Limits> caption="Configured limits" rows={limits.data ?? []} rowKey={(l) => `${l.scope}/${l.key}`} empty="no limits configured"
        columns={[{ key: "s", label: "Scope", render: (l) => l.scope }, { key: "k", label: "Key", render: (l) => l.key },
          { key: "l", label: "Limits", render: (l) => describe(l.limits) }]} />
      {me?.role === "admin" && schema && (
        <details>
          <summary>Set limits</summary>
          <form className="schema-form" noValidate onSubmit={(e) => void save.run(e)}>
            <div className="field"><label htmlFor={ids.scope}>Scope</label>
              <select id={ids.scope} value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
                {["account", "strategy", "portfolio", "instrument"].map((s) => <option key={s}>{s}</option>)}
              </select></div>
            <div className="field"><label htmlFor={ids.key}>Key</label>
              <input id={ids.key} required value={key} onChange={(e) => setKey(e.target.value)} /></div>
            <SchemaForm schema={schema} value={values} onChange={setValues} />
            <ErrorBanner error={save.error} />
            <button type="submit" disabled={save.busy}>Save limits</button>
          </form>
        </details>
      )}
    </section>
  );
}
