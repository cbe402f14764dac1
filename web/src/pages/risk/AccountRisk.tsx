/** The live risk snapshot of one account (`risk.snapshots.<account>`): utilisation, VaR, exposures. */
import { useEffect, useId, useState } from "react";
import { DataTable } from "../../components/DataTable";
import { Heatmap } from "../../components/Heatmap";
import { useServices } from "../../context";
import { fmtNum, fmtPct, fmtTime } from "../../format";

export interface RiskSnapshot {
  account_id: string;
  ts_event: number;
  equity: number;
  gross: number;
  net: number;
  leverage: number;
  daily_pnl: number;
  drawdown_pct: number;
  exposures: Record<string, number>;
  sectors: Record<string, string>;
  var: number | null;
  es: number | null;
  utilisation: Record<string, number>;
  state: string;
}

export function exposureCells(s: RiskSnapshot) {
  return Object.entries(s.exposures).map(([inst, value]) => ({ row: s.sectors[inst] ?? "unclassified", col: inst, value }));
}

export function AccountRisk() {
  const { stream } = useServices();
  const inputId = useId();
  const [account, setAccount] = useState("");
  const [watch, setWatch] = useState("");
  const [snap, setSnap] = useState<RiskSnapshot | null>(null);
  useEffect(() => {
    setSnap(null);
    if (!watch) return;
    return stream.subscribe(`risk.snapshots.${watch}`, (f) => setSnap(f.data as RiskSnapshot));
  }, [stream, watch]);
  return (
    <section className="panel" aria-labelledby="acct-risk-h">
      <h2 id="acct-risk-h">Account risk (live)</h2>
      <form className="inline-form" onSubmit={(e) => { e.preventDefault(); setWatch(account.trim()); }}>
        <div className="field"><label htmlFor={inputId}>Account id</label>
          <input id={inputId} value={account} onChange={(e) => setAccount(e.target.value)} /></div>
        <button type="submit">Watch</button>
      </form>
      {watch && !snap && <p className="muted" role="status">Waiting for the first risk snapshot of {watch} (published when its positions or prices change).</p>}
      {snap && (
        <div className="grid2">
          <DataTable<[string, string]> caption={`${snap.account_id} at ${fmtTime(snap.ts_event)}`} rowKey={([k]) => k}
            rows={[["state", snap.state], ["equity", fmtNum(snap.equity, 2)], ["gross", fmtNum(snap.gross, 2)], ["net", fmtNum(snap.net, 2)],
              ["leverage", fmtNum(snap.leverage)], ["daily P&L", fmtNum(snap.daily_pnl, 2)], ["drawdown", `${fmtNum(snap.drawdown_pct, 2)}%`],
              ["VaR", fmtNum(snap.var, 2)], ["ES", fmtNum(snap.es, 2)]]}
            columns={[{ key: "k", label: "Measure", render: ([k]) => k }, { key: "v", label: "Value", numeric: true, render: ([, v]) => v }]} />
          <DataTable<[string, number]> caption="Limit utilisation" rows={Object.entries(snap.utilisation)} rowKey={([k]) => k} empty="no limits set"
            columns={[{ key: "k", label: "Limit", render: ([k]) => k },
              { key: "v", label: "Used", numeric: true, render: ([k, v]) => <><meter min={0} max={1} high={0.8} value={Math.min(v, 1)} aria-label={`${k} utilisation`} /> {fmtPct(v)}</> }]} />
          <Heatmap cells={exposureCells(snap)} caption="Exposure by sector × instrument" />
        </div>
      )}
    </section>
  );
}
