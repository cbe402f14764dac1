/**
 * The `/ws` stream: authenticate with the access token in the first frame, subscribe to
 * exact topics, dispatch `data`/`snapshot` frames by topic, reconnect with back-off and resume
 * from the last `seq` seen. A `batch` frame carries several frames sent in one socket write;
 * each is handled in order as if it had arrived alone. Protocol:
 * src/nautilus/streaming/messages.py.
 */

export interface DataFrame<T = unknown> {
  type: "data" | "snapshot";
  topic: string;
  seq: number;
  ts: number;
  data: T;
}

type SingleFrame =
  | DataFrame
  | { type: "welcome"; user_id: string; admin: boolean; heartbeat_s: number }
  | { type: "subscribed" | "unsubscribed"; topics: string[] }
  | { type: "error"; code: string; message: string }
  | { type: "ping" | "pong"; ts?: number };

type ServerFrame = SingleFrame | { type: "batch"; frames: SingleFrame[] };

export type StreamState = "idle" | "connecting" | "open" | "closed";

export interface StreamStatus {
  state: StreamState;
  /** Why the server closed the socket or refused a topic, when it said. */
  reason?: string;
}

type Handler = (frame: DataFrame) => void;
type StatusListener = (status: StreamStatus) => void;

export interface StreamOptions {
  url: string;
  getToken: () => string | null;
  WebSocketImpl?: typeof WebSocket;
  retryMs?: number;
}

export function streamUrl(loc: Location = globalThis.location): string {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

export class StreamClient {
  private ws: WebSocket | null = null;
  private handlers = new Map<string, Set<Handler>>();
  private lastSeq = new Map<string, number>();
  private statusListeners = new Set<StatusListener>();
  private statusValue: StreamStatus = { state: "idle" };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private stopped = false;

  constructor(private readonly opts: StreamOptions) {}

  get status(): StreamStatus {
    return this.statusValue;
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    listener(this.statusValue);
    return () => this.statusListeners.delete(listener);
  }

  /** Receive the frames of `topic`; the returned function unsubscribes. */
  subscribe(topic: string, handler: Handler): () => void {
    let set = this.handlers.get(topic);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler);
    if (isNew && this.statusValue.state === "open") this.send({ type: "subscribe", topics: [topic] });
    this.ensureConnected();
    return () => {
      const s = this.handlers.get(topic);
      if (!s) return;
      s.delete(handler);
      if (s.size === 0) {
        this.handlers.delete(topic);
        this.lastSeq.delete(topic);
        if (this.statusValue.state === "open") this.send({ type: "unsubscribe", topics: [topic] });
      }
    };
  }

  /** Undo {@link close}: connect again when there are subscriptions. */
  start(): void {
    this.stopped = false;
    if (this.handlers.size > 0) this.ensureConnected();
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000, "");
    this.ws = null;
    this.setStatus({ state: "closed" });
  }

  private setStatus(status: StreamStatus): void {
    this.statusValue = status;
    this.statusListeners.forEach((l) => l(status));
  }

  private send(frame: object): void {
    this.ws?.send(JSON.stringify(frame));
  }

  private ensureConnected(): void {
    if (this.stopped || this.ws || this.retryTimer) return;
    const token = this.opts.getToken();
    if (!token) return;
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    const ws = new Impl(this.opts.url);
    this.ws = ws;
    this.setStatus({ state: "connecting" });
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token }));
    ws.onmessage = (ev: MessageEvent) => this.onFrame(String(ev.data));
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setStatus({ state: "closed", reason: ev.reason || this.statusValue.reason });
      // A policy close (bad token, forbidden topic) will not get better by retrying at once.
      if (!this.stopped && this.handlers.size > 0) this.scheduleRetry(ev.code === 1008 ? 4 : 1);
    };
  }

  private scheduleRetry(factor: number): void {
    const base = this.opts.retryMs ?? 1000;
    const delay = Math.min(30000, base * factor * 2 ** Math.min(this.attempts, 5));
    this.attempts += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensureConnected();
    }, delay);
  }

  private onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === "batch") {
      for (const f of frame.frames) this.handle(f);
    } else {
      this.handle(frame);
    }
  }

  private handle(frame: SingleFrame): void {
    switch (frame.type) {
      case "welcome": {
        this.attempts = 0;
        this.setStatus({ state: "open" });
        const topics = [...this.handlers.keys()];
        if (topics.length) {
          const since: Record<string, number> = {};
          for (const t of topics) {
            const s = this.lastSeq.get(t);
            if (s !== undefined) since[t] = s;
          }
          this.send({ type: "subscribe", topics, since_seq: since });
        }
        break;
      }
      case "data":
      case "snapshot": {
        this.lastSeq.set(frame.topic, frame.seq);
        this.handlers.get(frame.topic)?.forEach((h) => h(frame));
        break;
      }
      case "error":
        this.setStatus({ ...this.statusValue, reason: `${frame.code}: ${frame.message}` });
        break;
      case "ping":
        this.send({ type: "pong", ts: frame.ts });
        break;
      default:
        break;
    }
  }
}
