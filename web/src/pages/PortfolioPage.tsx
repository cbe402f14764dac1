/** Households and accounts, an optimiser run, a rebalance preview. */
import { NotAvailable } from "../components/NotAvailable";
import { useServices } from "../context";
import { Households } from "./portfolio/Households";
import { Optimiser } from "./portfolio/Optimiser";
import { RebalancePreview } from "./portfolio/RebalancePreview";

export function PortfolioPage() {
  const { caps } = useServices();
  if (!caps.has("/api/v1/portfolio")) return <NotAvailable feature="Portfolio" endpoint="/api/v1/portfolio" />;
  return (
    <div className="stack">
      <Households />
      <Optimiser />
      <RebalancePreview />
    </div>
  );
}
