/** The JWT pair, kept in localStorage so that a reload stays logged in. */

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

const KEY = "nautilus.tokens";

type Listener = (pair: TokenPair | null) => void;

export class TokenStore {
  private pair: TokenPair | null;
  private listeners = new Set<Listener>();

  constructor(private readonly storage: Storage | null = globalThis.localStorage ?? null) {
    this.pair = TokenStore.read(storage);
  }

  private static read(storage: Storage | null): TokenPair | null {
    try {
      const raw = storage?.getItem(KEY);
      if (!raw) return null;
      const v = JSON.parse(raw) as Partial<TokenPair>;
      if (typeof v.access_token === "string" && typeof v.refresh_token === "string") {
        return { access_token: v.access_token, refresh_token: v.refresh_token, expires_in: v.expires_in ?? 0 };
      }
    } catch {
      // a corrupt entry means "logged out"
    }
    return null;
  }

  get current(): TokenPair | null {
    return this.pair;
  }

  get access(): string | null {
    return this.pair?.access_token ?? null;
  }

  set(pair: TokenPair | null): void {
    this.pair = pair;
    if (pair) this.storage?.setItem(KEY, JSON.stringify(pair));
    else this.storage?.removeItem(KEY);
    this.listeners.forEach((l) => l(pair));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
