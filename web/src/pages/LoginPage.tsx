/** Username + password → the JWT pair. */
import { useId, useState, type FormEvent } from "react";
import { unwrap, type Api } from "../api/client";
import { errorMessage } from "../api/problem";
import type { TokenStore } from "../api/tokens";
import { ErrorBanner } from "../components/ErrorBanner";

export function LoginPage({ api, tokens }: { api: Api; tokens: TokenStore }) {
  const userId = useId();
  const passId = useId();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const pair = await unwrap(api.POST("/api/v1/auth/login", { body: { username, password } }));
      tokens.set(pair);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login" id="main">
      <form onSubmit={submit} className="panel" aria-labelledby="login-title">
        <h1 id="login-title">Nautilus</h1>
        <p className="muted">Sign in to the dashboard.</p>
        <div className="field">
          <label htmlFor={userId}>Username</label>
          <input id={userId} autoComplete="username" required value={username}
            onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={passId}>Password</label>
          <input id={passId} type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </div>
        <ErrorBanner error={error} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
    </main>
  );
}
