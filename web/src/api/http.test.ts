import { fakeFetch, jsonResponse } from "../test/fakes";
import { createAuthFetch } from "./http";
import { TokenStore } from "./tokens";

const BASE = "http://nautilus.test";

function store(access = "a1", refresh = "r1") {
  const s = new TokenStore(null);
  s.set({ access_token: access, refresh_token: refresh, expires_in: 900 });
  return s;
}

describe("createAuthFetch", () => {
  it("sends the access token as a bearer header", async () => {
    const { fetch, seen } = fakeFetch({ "GET /api/v1/auth/me": () => jsonResponse(200, { username: "admin" }) });
    const res = await createAuthFetch(store(), fetch)(new Request(`${BASE}/api/v1/auth/me`));
    expect(res.status).toBe(200);
    expect(seen[0]?.headers.get("Authorization")).toBe("Bearer a1");
  });

  it("refreshes once on 401 and retries with the new token and the same body", async () => {
    const tokens = store("old", "r1");
    const { fetch, seen } = fakeFetch({
      "POST /api/v1/trading/sessions/acc/orders": (req) =>
        req.headers.get("Authorization") === "Bearer new"
          ? jsonResponse(201, { ok: true })
          : jsonResponse(401, { detail: "token expired" }, "application/problem+json"),
      "POST /api/v1/auth/refresh": async (req) => {
        expect(await req.json()).toEqual({ refresh_token: "r1" });
        return jsonResponse(200, { access_token: "new", refresh_token: "r2", expires_in: 900 });
      },
    });
    const authFetch = createAuthFetch(tokens, fetch);
    const body = JSON.stringify({ side: "buy" });
    const req = () => new Request(`${BASE}/api/v1/trading/sessions/acc/orders`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
    const [a, b] = await Promise.all([authFetch(req()), authFetch(req())]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(seen.filter((r) => r.url.endsWith("/refresh"))).toHaveLength(1);
    const retried = seen.filter((r) => r.headers.get("Authorization") === "Bearer new");
    expect(await retried[0]?.text()).toBe(body);
    expect(tokens.current?.refresh_token).toBe("r2");
  });

  it("logs out when the refresh token is refused", async () => {
    const tokens = store();
    const { fetch } = fakeFetch({
      "GET /api/v1/auth/me": () => jsonResponse(401, { detail: "expired" }),
      "POST /api/v1/auth/refresh": () => jsonResponse(401, { detail: "refresh token revoked" }),
    });
    const res = await createAuthFetch(tokens, fetch)(new Request(`${BASE}/api/v1/auth/me`));
    expect(res.status).toBe(401);
    expect(tokens.current).toBeNull();
  });

  it("never sends a token to login or refreshes after a failed login", async () => {
    const tokens = store();
    const { fetch, seen } = fakeFetch({ "POST /api/v1/auth/login": () => jsonResponse(401, { detail: "bad credentials" }) });
    const res = await createAuthFetch(tokens, fetch)(new Request(`${BASE}/api/v1/auth/login`, { method: "POST", body: "{}" }));
    expect(res.status).toBe(401);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.get("Authorization")).toBeNull();
  });
});
