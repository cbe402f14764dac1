import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createApi } from "../api/client";
import { Capabilities } from "../api/capabilities";
import { StreamClient } from "../api/stream";
import { TokenStore } from "../api/tokens";
import { Layout } from "../components/Layout";
import { AppContext, type AppServices } from "../context";
import { FakeSocket, fakeFetch, jsonResponse, type Route } from "../test/fakes";
import { equitySeries, scalarMetrics } from "./JobResult";
import { LoginPage } from "./LoginPage";
import { RiskPage } from "./RiskPage";
import { TradingPage } from "./TradingPage";

function services(routes: Record<string, Route>, paths: string[], role: "admin" | "viewer" = "admin"): AppServices & { seen: Request[] } {
  const tokens = new TokenStore(null);
  tokens.set({ access_token: "a", refresh_token: "r", expires_in: 900 });
  const { fetch, seen } = fakeFetch(routes);
  FakeSocket.instances = [];
  return {
    api: createApi(tokens, "http://n.test", fetch),
    tokens,
    stream: new StreamClient({ url: "ws://n.test/ws", getToken: () => "a", WebSocketImpl: FakeSocket as unknown as typeof WebSocket }),
    caps: new Capabilities(new Set(paths)),
    me: { id: "u1", username: "ann", role, created_at: "2026-01-01T00:00:00Z", via: "token", scopes: ["read", "trade", "admin"] },
    seen,
  };
}

describe("LoginPage", () => {
  it("stores the token pair on success", async () => {
    const user = userEvent.setup();
    const tokens = new TokenStore(null);
    const { fetch } = fakeFetch({ "POST /api/v1/auth/login": () => jsonResponse(200, { access_token: "A", refresh_token: "R", token_type: "bearer", expires_in: 900 }) });
    render(<LoginPage api={createApi(tokens, "http://n.test", fetch)} tokens={tokens} />);
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(tokens.access).toBe("A"));
  });

  it("shows the API's problem detail when the login is refused", async () => {
    const user = userEvent.setup();
    const tokens = new TokenStore(null);
    const { fetch } = fakeFetch({ "POST /api/v1/auth/login": () => jsonResponse(401, { status: 401, title: "Unauthorized", detail: "invalid username or password", code: "bad_credentials" }, "application/problem+json") });
    render(<LoginPage api={createApi(tokens, "http://n.test", fetch)} tokens={tokens} />);
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("invalid username or password");
    expect(tokens.access).toBeNull();
  });
});

describe("Layout", () => {
  it("toggles the navigation and the theme, marking the current page", async () => {
    const user = userEvent.setup();
    const themes: string[] = [];
    render(<Layout route="risk" theme="dark" onTheme={(t) => themes.push(t)} user="ann" onLogout={() => undefined}><p>x</p></Layout>);
    const toggle = screen.getByRole("button", { name: "Menu" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByRole("link", { name: "Risk" })).toHaveAttribute("aria-current", "page");
    await user.click(screen.getByRole("button", { name: "Switch to light theme" }));
    expect(themes).toEqual(["light"]);
  });
});

describe("pages without an API", () => {
  it("say the feature is not available yet instead of showing numbers", () => {
    const s = services({}, ["/api/v1/data/instruments"]);
    render(<AppContext.Provider value={s}><TradingPage /><RiskPage /></AppContext.Provider>);
    expect(screen.getByRole("region", { name: "Trading not available" })).toHaveTextContent("/api/v1/trading");
    expect(screen.getByRole("region", { name: "Risk not available" })).toHaveTextContent("/api/v1/risk");
  });
});

describe("RiskPage", () => {
  const alert = { id: "al1", ts_event: 1.7e18, account_id: "acc1", metric: "max_order_qty", severity: "breach", value: 150, limit: 100, utilisation: 1.5, message: "order qty 150 > 100", acknowledged_by: null };
  const routes = (acked: { v: boolean; halted?: boolean }): Record<string, Route> => ({
    "GET /api/v1/risk/state": () => jsonResponse(200, { states: { global: acked.halted ? "halted" : "active" } }),
    "GET /api/v1/risk/limits": () => jsonResponse(200, []),
    "GET /api/v1/risk/alerts": () => jsonResponse(200, [{ ...alert, acknowledged_by: acked.v ? "ann" : null }]),
    "POST /api/v1/risk/alerts/al1/ack": () => {
      acked.v = true;
      return jsonResponse(200, { ...alert, acknowledged_by: "ann" });
    },
    "POST /api/v1/risk/kill": () => {
      acked.halted = true;
      return jsonResponse(200, { states: { global: "halted" } });
    },
  });

  it("acknowledges an alert", async () => {
    const user = userEvent.setup();
    const acked = { v: false };
    const s = services(routes(acked), ["/api/v1/risk/alerts"]);
    render(<AppContext.Provider value={s}><RiskPage /></AppContext.Provider>);
    await user.click(await screen.findByRole("button", { name: "Acknowledge alert max_order_qty on acc1" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: /Acknowledge alert/ })).toBeNull());
    expect(screen.getByRole("region", { name: "Alerts, newest first" })).toHaveTextContent("ann");
  });

  it("halts only after the kill switch is confirmed", async () => {
    const user = userEvent.setup();
    const s = services(routes({ v: false }), ["/api/v1/risk/kill"]);
    render(<AppContext.Provider value={s}><RiskPage /></AppContext.Provider>);
    await user.click(await screen.findByRole("button", { name: "Kill switch…" }));
    expect(s.seen.some((r) => r.url.endsWith("/kill"))).toBe(false);
    await user.click(screen.getByRole("button", { name: "Confirm: halt and cancel orders" }));
    expect(await screen.findByText("halted")).toBeInTheDocument();
    const kill = s.seen.find((r) => r.url.endsWith("/kill"))!;
    expect(await kill.json()).toEqual({ account_id: null, cancel_orders: true, reason: "kill switch" });
  });

  it("hides the kill switch from viewers", async () => {
    const s = services(routes({ v: false }), ["/api/v1/risk/kill"], "viewer");
    render(<AppContext.Provider value={s}><RiskPage /></AppContext.Provider>);
    await screen.findByText("max_order_qty");
    expect(screen.queryByRole("button", { name: "Kill switch…" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Acknowledge/ })).toBeNull();
  });
});

describe("job results", () => {
  it("lists scalar metrics, one level deep, without base64 blobs", () => {
    expect(scalarMetrics({ sharpe: 1.2, bars: 300, heatmap_png_base64: "xx", metrics: { cagr: 0.1, name: "n" }, trials: [] }))
      .toEqual([["sharpe", 1.2], ["bars", 300], ["metrics.cagr", 0.1]]);
  });

  it("reads an equity curve from numbers or rows", () => {
    expect(equitySeries({ equity: [1, 2, 3] })).toEqual([{ ts: 0, value: 1 }, { ts: 1, value: 2 }, { ts: 2, value: 3 }]);
    expect(equitySeries({ equity_curve: [{ ts: 5, equity: 10 }, { ts: 6, equity: 11 }] })).toEqual([{ ts: 5, value: 10 }, { ts: 6, value: 11 }]);
    expect(equitySeries({ equity: [1] })).toBeNull();
  });
});
