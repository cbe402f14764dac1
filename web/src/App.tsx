/** Login gate, services, and the page for the current route. */
import { useEffect, useMemo, useState } from "react";
import { Capabilities } from "./api/capabilities";
import { createApi, unwrap } from "./api/client";
import { errorMessage } from "./api/problem";
import { StreamClient, streamUrl } from "./api/stream";
import type { TokenPair, TokenStore } from "./api/tokens";
import type { Me } from "./api/types";
import { ErrorBanner } from "./components/ErrorBanner";
import { Layout } from "./components/Layout";
import { AppContext, type AppServices } from "./context";
import { DataPage } from "./pages/DataPage";
import { LoginPage } from "./pages/LoginPage";
import { MarketsPage } from "./pages/MarketsPage";
import { PortfolioPage } from "./pages/PortfolioPage";
import { ResearchPage } from "./pages/ResearchPage";
import { RiskPage } from "./pages/RiskPage";
import { StrategiesPage } from "./pages/StrategiesPage";
import { TradingPage } from "./pages/TradingPage";
import { useRoute } from "./route";
import { applyTheme, initialTheme, type Theme } from "./theme";

export function App({ tokens }: { tokens: TokenStore }) {
  const api = useMemo(() => createApi(tokens), [tokens]);
  const [pair, setPair] = useState<TokenPair | null>(tokens.current);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [caps, setCaps] = useState<Capabilities | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useRoute();
  const loggedIn = pair !== null;

  useEffect(() => tokens.subscribe(setPair), [tokens]);
  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    Capabilities.load().then(setCaps, (e: unknown) => setError(errorMessage(e)));
  }, []);
  useEffect(() => {
    if (!loggedIn) {
      setMe(null);
      return;
    }
    unwrap(api.GET("/api/v1/auth/me")).then(setMe, (e: unknown) => setError(errorMessage(e)));
  }, [api, loggedIn]);

  const stream = useMemo(
    () => (loggedIn ? new StreamClient({ url: streamUrl(), getToken: () => tokens.access }) : null),
    [loggedIn, tokens],
  );
  useEffect(() => {
    stream?.start();
    return () => stream?.close();
  }, [stream]);

  if (!loggedIn) return <LoginPage api={api} tokens={tokens} />;
  if (!caps || !stream) {
    return (
      <main id="main" className="content">
        <ErrorBanner error={error} />
        {!error && <p role="status">Loading…</p>}
      </main>
    );
  }
  const services: AppServices = { api, tokens, stream, caps, me };
  const logout = () => {
    const refresh = tokens.current?.refresh_token;
    if (refresh) void api.POST("/api/v1/auth/logout", { body: { refresh_token: refresh } }).catch(() => undefined);
    tokens.set(null);
  };
  return (
    <AppContext.Provider value={services}>
      <Layout route={route} theme={theme} onTheme={setTheme} user={me ? `${me.username} (${me.role})` : ""} onLogout={logout}>
        <ErrorBanner error={error} />
        <Page route={route} theme={theme} />
      </Layout>
    </AppContext.Provider>
  );
}

function Page({ route, theme }: { route: string; theme: Theme }) {
  switch (route) {
    case "markets":
      return <MarketsPage theme={theme} />;
    case "trading":
      return <TradingPage theme={theme} />;
    case "risk":
      return <RiskPage />;
    case "portfolio":
      return <PortfolioPage />;
    case "research":
      return <ResearchPage theme={theme} />;
    case "data":
      return <DataPage />;
    case "strategies":
      return <StrategiesPage theme={theme} />;
    default:
      return <p>There is no page “{route}”. Pick one from the menu.</p>;
  }
}
