/** Test doubles: a scripted fetch and a controllable WebSocket. */
import { vi } from "vitest";

export function jsonResponse(status: number, body: unknown, type = "application/json"): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

export type Route = (req: Request) => Response | Promise<Response>;

/** A fetch that answers by `METHOD path` and records every request it saw. */
export function fakeFetch(routes: Record<string, Route>) {
  const seen: Request[] = [];
  const fn = vi.fn(async (req: Request) => {
    seen.push(req.clone());
    const url = new URL(req.url);
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) return jsonResponse(404, { status: 404, title: "Not Found", detail: `no route ${url.pathname}`, code: "not_found" }, "application/problem+json");
    return route(req);
  });
  return { fetch: fn, seen };
}

export class FakeSocket {
  static instances: FakeSocket[] = [];
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(text: string) {
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.closed = true;
  }

  // test side
  open() {
    this.onopen?.();
  }

  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  drop(code: number, reason: string) {
    this.onclose?.({ code, reason });
  }
}
