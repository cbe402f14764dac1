import { render, screen, waitFor, within } from "@testing-library/react";
import { createApi } from "../api/client";
import { Capabilities } from "../api/capabilities";
import { StreamClient } from "../api/stream";
import { TokenStore } from "../api/tokens";
import { AppContext, type AppServices } from "../context";
import { FakeSocket, fakeFetch, jsonResponse, type Route } from "../test/fakes";
import { BookDepth } from "./BookDepth";

function services(routes: Record<string, Route>): AppServices & { seen: Request[] } {
  const tokens = new TokenStore(null);
  tokens.set({ access_token: "a", refresh_token: "r", expires_in: 900 });
  const { fetch, seen } = fakeFetch(routes);
  return {
    api: createApi(tokens, "http://n.test", fetch),
    tokens,
    stream: new StreamClient({ url: "ws://n.test/ws", getToken: () => "a", WebSocketImpl: FakeSocket as unknown as typeof WebSocket }),
    caps: new Capabilities(new Set(["/api/v1/data/book/{instrument_id}"])),
    me: { id: "u1", username: "ann", role: "viewer", created_at: "2026-01-01T00:00:00Z", via: "token", scopes: ["read"] },
    seen,
  };
}

const BOOK = {
  instrument_id: "TEC01.XSYN",
  ts: 1_700_000_000_000_000_000,
  sequence: 42,
  depth: 10,
  bids: [
    { price: "99.99", size: "700" },
    { price: "99.98", size: "300" },
  ],
  asks: [
    { price: "100.01", size: "200" },
    { price: "100.02", size: "1000" },
  ],
  spread: "0.02",
  mid: "100.00",
  imbalance: -0.090909,
};

describe("BookDepth", () => {
  it("shows both sides best first with exact prices, spread, mid and imbalance", async () => {
    let calls = 0;
    const svc = services({
      "GET /api/v1/data/book/TEC01.XSYN": () => {
        calls += 1;
        return jsonResponse(200, { ...BOOK, sequence: 42 + calls });
      },
    });
    render(
      <AppContext.Provider value={svc}>
        <BookDepth instrumentId="TEC01.XSYN" refreshMs={20} />
      </AppContext.Provider>,
    );
    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell").map((c) => c.textContent))).toEqual([
      ["700", "99.99", "100.01", "200"],
      ["300", "99.98", "100.02", "1000"],
    ]);
    expect(screen.getByTestId("book-summary").textContent).toContain("spread 0.02 · mid 100.00 · imbalance -0.091");
    const url = new URL(svc.seen[0]!.url);
    expect(url.searchParams.get("depth")).toBe("10");
    await waitFor(() => expect(calls).toBeGreaterThanOrEqual(3)); // refreshed while shown
  });

  it("says so when the instrument is unknown", async () => {
    const svc = services({
      "GET /api/v1/data/book/NOPE.XSYN": () =>
        jsonResponse(404, { status: 404, title: "Not Found", detail: "unknown instrument 'NOPE.XSYN'", code: "unknown_symbol" }, "application/problem+json"),
    });
    render(
      <AppContext.Provider value={svc}>
        <BookDepth instrumentId="NOPE.XSYN" />
      </AppContext.Provider>,
    );
    expect(await screen.findByText(/Order book: .*unknown instrument/)).toBeTruthy();
  });
});
