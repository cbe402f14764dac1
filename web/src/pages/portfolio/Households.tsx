import { useState } from "react";
import { unwrap } from "../../api/client";
import type { Consolidated, Household } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { useServices } from "../../context";
import { fmtNum } from "../../format";
import { useRemote } from "../../hooks";

type Holding = Consolidated["holdings"][number];

function Breakdown({ title, parts }: { title: string; parts: Record<string, number> }) {
  return (
    <DataTable<[string, number]> caption={title} rows={Object.entries(parts)} rowKey={([k]) => k}
      columns={[{ key: "k", label: "Name", render: ([k]) => k }, { key: "v", label: "Value", numeric: true, render: ([, v]) => fmtNum(v, 2) }]} />
  );
}

function HouseholdView({ id }: { id: string }) {
  const { api } = useServices();
  const view = useRemote(() => unwrap(api.GET("/api/v1/portfolio/households/{household_id}/view", { params: { path: { household_id: id } } })), [api, id]);
  if (view.error) return <ErrorBanner error={view.error} />;
  const v = view.data;
  if (!v) return <p className="muted" role="status">loading…</p>;
  return (
    <div className="stack">
      <p>Total {fmtNum(v.total_value, 2)} · cash {fmtNum(v.cash, 2)} · invested {fmtNum(v.invested, 2)} · unrealised {fmtNum(v.unrealised, 2)}</p>
      <div className="grid2">
        <Breakdown title="Allocation by account" parts={v.by_account} />
        <Breakdown title="Allocation by sector" parts={v.by_sector} />
        <Breakdown title="Allocation by asset class" parts={v.by_asset_class} />
      </div>
      <DataTable<Holding> caption="Holdings" rows={v.holdings} rowKey={(h) => JSON.stringify(h)} empty="no holdings"
        columns={Object.keys(v.holdings[0] ?? {}).slice(0, 8).map((k) => ({ key: k, label: k,
          render: (h: Holding) => { const x = (h as Record<string, unknown>)[k]; return typeof x === "number" ? fmtNum(x, 2) : String(x ?? ""); } }))} />
    </div>
  );
}

export function Households() {
  const { api } = useServices();
  const households = useRemote(() => unwrap(api.GET("/api/v1/portfolio/households", { params: { query: { limit: 100 } } })), [api]);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <section className="panel" aria-labelledby="hh-h">
      <h2 id="hh-h">Households</h2>
      <ErrorBanner error={households.error} />
      <DataTable<Household> caption="Households" rows={households.data ?? []} rowKey={(h) => h.id}
        empty="no households yet (create them through the API or CLI)"
        columns={[
          { key: "name", label: "Household", render: (h) => (
            <button type="button" className="secondary" aria-pressed={selected === h.id} onClick={() => setSelected(h.id)}>{h.name}</button>
          ) },
          { key: "members", label: "Members", numeric: true, render: (h) => h.members.length },
        ]} />
      {selected && <HouseholdView id={selected} />}
    </section>
  );
}
