/** Trading states and the kill switch, alerts with acknowledge, limits, live account risk. */
import { NotAvailable } from "../components/NotAvailable";
import { useServices } from "../context";
import { AccountRisk } from "./risk/AccountRisk";
import { Alerts } from "./risk/Alerts";
import { LimitsPanel } from "./risk/LimitsPanel";
import { States } from "./risk/States";

export function RiskPage() {
  const { caps } = useServices();
  if (!caps.has("/api/v1/risk")) return <NotAvailable feature="Risk" endpoint="/api/v1/risk" />;
  return (
    <div className="stack">
      <States />
      <Alerts />
      <AccountRisk />
      <LimitsPanel />
    </div>
  );
}
