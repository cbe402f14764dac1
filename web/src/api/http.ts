/**
 * `fetch` with the bearer token: on a 401 it rotates the refresh token once (shared by
 * concurrent requests) and retries; when the refresh is refused the store is cleared, which
 * sends the app back to the login page.
 */
import type { TokenPair, TokenStore } from "./tokens";

export type FetchLike = (input: Request) => Promise<Response>;

const AUTH_PATHS = ["/api/v1/auth/login", "/api/v1/auth/refresh"];

export function createAuthFetch(store: TokenStore, base: FetchLike = (r) => fetch(r)): FetchLike {
  let refreshing: Promise<string | null> | null = null;

  async function refresh(origin: string): Promise<string | null> {
    const token = store.current?.refresh_token;
    if (!token) return null;
    const res = await base(
      new Request(`${origin}/api/v1/auth/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: token }),
      }),
    );
    if (!res.ok) {
      store.set(null);
      return null;
    }
    const pair = (await res.json()) as TokenPair;
    store.set(pair);
    return pair.access_token;
  }

  function withToken(req: Request, token: string | null): Request {
    const out = new Request(req);
    if (token) out.headers.set("Authorization", `Bearer ${token}`);
    return out;
  }

  return async (input: Request) => {
    const url = new URL(input.url);
    const isAuth = AUTH_PATHS.includes(url.pathname);
    const retry = input.clone();
    const res = await base(withToken(input, isAuth ? null : store.access));
    if (res.status !== 401 || isAuth || !store.current) return res;
    refreshing ??= refresh(url.origin).finally(() => {
      refreshing = null;
    });
    const token = await refreshing;
    return token ? base(withToken(retry, token)) : res;
  };
}
