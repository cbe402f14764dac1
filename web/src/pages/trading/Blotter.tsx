import { unwrap } from "../../api/client";
import type { Fill, Order, Position } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Waterfall } from "../../components/Waterfall";
import { useServices } from "../../context";
import { fmtTime } from "../../format";
import { useAction, useRemote } from "../../hooks";


const DONE = new Set(["filled", "cancelled", "canceled", "rejected", "expired", "denied"]);

export function Blotter({ account, tick, onChanged }: { account: string; tick: number; onChanged: () => void }) {
  const { api, me } = useServices();
  const query = { query: { account_id: account || undefined, limit: 100 } };
  const orders = useRemote(() => unwrap(api.GET("/api/v1/trading/orders", { params: query })), [api, account, tick]);
  const fills = useRemote(() => unwrap(api.GET("/api/v1/trading/fills", { params: query })), [api, account, tick]);
  const positions = useRemote(() => unwrap(api.GET("/api/v1/trading/positions", { params: { query: { account_id: account || undefined } } })), [api, account, tick]);
  const cancel = useAction(async (o: Order) => {
    await unwrap(api.POST("/api/v1/trading/sessions/{account_id}/orders/{client_order_id}/cancel", {
      params: { path: { account_id: o.account_id, client_order_id: o.client_order_id } },
    }));
    onChanged();
  });
  const canTrade = me?.role === "admin" || me?.role === "trader";
  const pnl = (positions.data ?? []).map((p) => ({ label: p.instrument_id.split(".")[0] ?? p.instrument_id, value: Number(p.realized_pnl) }));
  return (
    <>
      <section className="panel" aria-labelledby="blotter-h">
        <h2 id="blotter-h">Blotter</h2>
        <ErrorBanner error={orders.error ?? cancel.error} />
        <DataTable<Order> caption="Orders" rows={orders.data ?? []} rowKey={(o) => o.client_order_id} empty="no orders"
          columns={[
            { key: "t", label: "Time", render: (o) => fmtTime(o.ts_last) },
            { key: "id", label: "Order", render: (o) => <code>{o.client_order_id}</code> },
            { key: "inst", label: "Instrument", render: (o) => o.instrument_id },
            { key: "side", label: "Side", render: (o) => o.side },
            { key: "type", label: "Type", render: (o) => o.order_type },
            { key: "qty", label: "Qty", numeric: true, render: (o) => o.quantity },
            { key: "px", label: "Price", numeric: true, render: (o) => o.price ?? "—" },
            { key: "filled", label: "Filled", numeric: true, render: (o) => o.filled_qty },
            { key: "status", label: "Status", render: (o) => (o.reason ? `${o.status}: ${o.reason}` : o.status) },
            { key: "act", label: "Action", render: (o) => canTrade && !DONE.has(o.status) ? (
              <button type="button" className="secondary" disabled={cancel.busy} onClick={() => void cancel.run(o)}
                aria-label={`Cancel order ${o.client_order_id}`}>Cancel</button>
            ) : null },
          ]} />
        <ErrorBanner error={fills.error} />
        <DataTable<Fill> caption="Fills" rows={fills.data ?? []} rowKey={(f) => f.trade_id} empty="no fills"
          columns={[
            { key: "t", label: "Time", render: (f) => fmtTime(f.ts_event) },
            { key: "order", label: "Order", render: (f) => <code>{f.client_order_id}</code> },
            { key: "inst", label: "Instrument", render: (f) => f.instrument_id },
            { key: "side", label: "Side", render: (f) => f.side },
            { key: "qty", label: "Qty", numeric: true, render: (f) => f.last_qty },
            { key: "px", label: "Price", numeric: true, render: (f) => f.last_px },
            { key: "fee", label: "Commission", numeric: true, render: (f) => f.commission },
          ]} />
      </section>
      <section className="panel" aria-labelledby="positions-h">
        <h2 id="positions-h">Positions</h2>
        <ErrorBanner error={positions.error} />
        <DataTable<Position> caption="Open positions" rows={positions.data ?? []} rowKey={(p) => p.position_id} empty="no open positions"
          columns={[
            { key: "acct", label: "Account", render: (p) => p.account_id },
            { key: "inst", label: "Instrument", render: (p) => p.instrument_id },
            { key: "qty", label: "Signed qty", numeric: true, render: (p) => p.signed_qty },
            { key: "avg", label: "Avg open", numeric: true, render: (p) => p.avg_px_open ?? "—" },
            { key: "pnl", label: "Realized P&L", numeric: true, render: (p) => p.realized_pnl },
          ]} />
        {pnl.length > 0 && <Waterfall steps={pnl} title="Realized P&L by instrument" />}
      </section>
    </>
  );
}
