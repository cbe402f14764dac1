import { FakeSocket } from "../test/fakes";
import { StreamClient, type DataFrame } from "./stream";

function client(token: string | null = "tok") {
  FakeSocket.instances = [];
  return new StreamClient({ url: "ws://n.test/ws", getToken: () => token, WebSocketImpl: FakeSocket as unknown as typeof WebSocket, retryMs: 5 });
}

describe("StreamClient", () => {
  it("authenticates first, subscribes after welcome and dispatches by topic", () => {
    const c = client();
    const bars: DataFrame[] = [];
    c.subscribe("bars.MSFT.XNAS.1m", (f) => bars.push(f));
    const ws = FakeSocket.instances[0]!;
    ws.open();
    expect(ws.sent).toEqual([{ type: "auth", token: "tok" }]);
    ws.receive({ type: "welcome", user_id: "u", admin: true, heartbeat_s: 15 });
    expect(c.status.state).toBe("open");
    expect(ws.sent[1]).toEqual({ type: "subscribe", topics: ["bars.MSFT.XNAS.1m"], since_seq: {} });
    ws.receive({ type: "data", topic: "bars.OTHER.1m", seq: 1, ts: 1, data: {} });
    ws.receive({ type: "data", topic: "bars.MSFT.XNAS.1m", seq: 7, ts: 2, data: { close: 10 } });
    expect(bars.map((b) => b.seq)).toEqual([7]);
  });

  it("answers pings and shows error frames as the reason", () => {
    const c = client();
    c.subscribe("jobs.abc", () => undefined);
    const ws = FakeSocket.instances[0]!;
    ws.open();
    ws.receive({ type: "welcome", user_id: "u", admin: false, heartbeat_s: 15 });
    ws.receive({ type: "ping", ts: 42 });
    expect(ws.sent).toContainEqual({ type: "pong", ts: 42 });
    ws.receive({ type: "error", code: "unknown_topic", message: "no such topic" });
    expect(c.status.reason).toBe("unknown_topic: no such topic");
  });

  it("reconnects after a drop and resumes from the last seq", async () => {
    const c = client();
    c.subscribe("bars.A.B.1m", () => undefined);
    const first = FakeSocket.instances[0]!;
    first.open();
    first.receive({ type: "welcome", user_id: "u", admin: false, heartbeat_s: 15 });
    first.receive({ type: "data", topic: "bars.A.B.1m", seq: 41, ts: 1, data: {} });
    first.drop(1011, "streaming is not running in this process");
    expect(c.status).toEqual({ state: "closed", reason: "streaming is not running in this process" });
    await new Promise((r) => setTimeout(r, 30));
    const second = FakeSocket.instances[1]!;
    second.open();
    second.receive({ type: "welcome", user_id: "u", admin: false, heartbeat_s: 15 });
    expect(second.sent[1]).toEqual({ type: "subscribe", topics: ["bars.A.B.1m"], since_seq: { "bars.A.B.1m": 41 } });
    c.close();
  });

  it("unsubscribes a topic when its last handler leaves, and connects only with a token", () => {
    const c = client();
    const off = c.subscribe("fills.acc", () => undefined);
    const ws = FakeSocket.instances[0]!;
    ws.open();
    ws.receive({ type: "welcome", user_id: "u", admin: false, heartbeat_s: 15 });
    off();
    expect(ws.sent.at(-1)).toEqual({ type: "unsubscribe", topics: ["fills.acc"] });
    const anon = client(null);
    anon.subscribe("bars.X.Y.1m", () => undefined);
    expect(FakeSocket.instances).toHaveLength(0);
  });

  it("unpacks batch frames in order and resumes from the last seq inside a batch", async () => {
    const c = client();
    const seen: Array<[string, number]> = [];
    c.subscribe("bars.A.1m", (f) => seen.push([f.topic, f.seq]));
    c.subscribe("fills.acc", (f) => seen.push([f.topic, f.seq]));
    const first = FakeSocket.instances[0]!;
    first.open();
    first.receive({ type: "welcome", user_id: "u", admin: false, heartbeat_s: 15 });
    first.receive({
      type: "batch",
      frames: [
        { type: "data", topic: "bars.A.1m", seq: 3, ts: 1, data: {} },
        { type: "data", topic: "fills.acc", seq: 9, ts: 1, data: {} },
        { type: "ping", ts: 5 },
        { type: "data", topic: "bars.A.1m", seq: 4, ts: 2, data: {} },
      ],
    });
    expect(seen).toEqual([
      ["bars.A.1m", 3],
      ["fills.acc", 9],
      ["bars.A.1m", 4],
    ]);
    expect(first.sent).toContainEqual({ type: "pong", ts: 5 });
    first.drop(1013, "too slow");
    await new Promise((r) => setTimeout(r, 30));
    const second = FakeSocket.instances[1]!;
    second.open();
    second.receive({ type: "welcome", user_id: "u", admin: false, heartbeat_s: 15 });
    expect(second.sent[1]).toEqual({
      type: "subscribe",
      topics: ["bars.A.1m", "fills.acc"],
      since_seq: { "bars.A.1m": 4, "fills.acc": 9 },
    });
    c.close();
  });
});
