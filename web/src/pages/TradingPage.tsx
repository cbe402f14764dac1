/** Paper trading: sessions, an order ticket, the blotter (orders, fills), positions, P&L. */
import { useEffect, useState } from "react";
import { unwrap } from "../api/client";
import { NotAvailable } from "../components/NotAvailable";
import { useServices } from "../context";
import { useRemote } from "../hooks";
import { Blotter } from "./trading/Blotter";
import { OrderTicket } from "./trading/OrderTicket";
import { Sessions } from "./trading/Sessions";

export function TradingPage(_: { theme?: unknown }) {
  const { caps } = useServices();
  if (!caps.has("/api/v1/trading")) return <NotAvailable feature="Trading" endpoint="/api/v1/trading" />;
  return <Trading />;
}

function Trading() {
  const { api, stream } = useServices();
  const sessions = useRemote(() => unwrap(api.GET("/api/v1/trading/sessions")), [api]);
  const [account, setAccount] = useState<string>("");
  const [tick, setTick] = useState(0);
  const accounts = sessions.data ?? [];
  useEffect(() => {
    if (!account && accounts[0]) setAccount(accounts[0].account_id);
  }, [account, accounts]);
  // Order, fill and position events of the account refresh the blotter.
  useEffect(() => {
    if (!account) return;
    let t: ReturnType<typeof setTimeout> | undefined;
    const bump = () => {
      clearTimeout(t);
      t = setTimeout(() => setTick((n) => n + 1), 250);
    };
    const offs = ["orders", "fills", "positions"].map((p) => stream.subscribe(`${p}.${account}`, bump));
    return () => {
      clearTimeout(t);
      offs.forEach((off) => off());
    };
  }, [stream, account]);
  return (
    <div className="stack">
      <Sessions sessions={sessions} account={account} onAccount={setAccount} />
      {account && <OrderTicket account={account} onSubmitted={() => setTick((n) => n + 1)} />}
      <Blotter account={account} tick={tick} onChanged={() => setTick((n) => n + 1)} />
    </div>
  );
}
