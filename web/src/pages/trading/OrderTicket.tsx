import { useId, useState, type FormEvent } from "react";
import { unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/ErrorBanner";
import { useServices } from "../../context";
import { useAction } from "../../hooks";

export function OrderTicket({ account, onSubmitted }: { account: string; onSubmitted: () => void }) {
  const { api } = useServices();
  const ids = { inst: useId(), side: useId(), type: useId(), qty: useId(), px: useId() };
  const [order, setOrder] = useState({ instrument_id: "TEC01.XSYN", side: "buy", order_type: "market", quantity: "10", price: "" });
  const [last, setLast] = useState<string | null>(null);
  const submit = useAction(async (e: FormEvent) => {
    e.preventDefault();
    const { price, ...rest } = order;
    const o = await unwrap(api.POST("/api/v1/trading/sessions/{account_id}/orders", {
      params: { path: { account_id: account } },
      body: { ...rest, price: price || null, time_in_force: "gtc" },
    }));
    setLast(`${o.client_order_id} ${o.status}${o.reason ? `: ${o.reason}` : ""}`);
    onSubmitted();
  });
  const needsPrice = order.order_type === "limit" || order.order_type === "stop_limit";
  return (
    <section className="panel" aria-labelledby="ticket-h">
      <h2 id="ticket-h">Order ticket <span className="muted">({account})</span></h2>
      <form className="inline-form" onSubmit={(e) => void submit.run(e)}>
        <div className="field"><label htmlFor={ids.inst}>Instrument</label>
          <input id={ids.inst} required value={order.instrument_id} onChange={(e) => setOrder({ ...order, instrument_id: e.target.value })} /></div>
        <div className="field"><label htmlFor={ids.side}>Side</label>
          <select id={ids.side} value={order.side} onChange={(e) => setOrder({ ...order, side: e.target.value })}>
            <option value="buy">buy</option><option value="sell">sell</option>
          </select></div>
        <div className="field"><label htmlFor={ids.type}>Type</label>
          <select id={ids.type} value={order.order_type} onChange={(e) => setOrder({ ...order, order_type: e.target.value })}>
            {["market", "limit", "stop", "stop_limit"].map((t) => <option key={t}>{t}</option>)}
          </select></div>
        <div className="field"><label htmlFor={ids.qty}>Quantity</label>
          <input id={ids.qty} required inputMode="decimal" value={order.quantity} onChange={(e) => setOrder({ ...order, quantity: e.target.value })} /></div>
        <div className="field"><label htmlFor={ids.px}>Limit price</label>
          <input id={ids.px} inputMode="decimal" required={needsPrice} value={order.price} onChange={(e) => setOrder({ ...order, price: e.target.value })} /></div>
        <button type="submit" disabled={submit.busy}>Submit order</button>
      </form>
      <ErrorBanner error={submit.error} />
      {last && <p role="status">Submitted {last}</p>}
    </section>
  );
}
