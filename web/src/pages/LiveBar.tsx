/** The live bar of `bars.<instrument>.<tf>` from the stream. */
import { useEffect, useState } from "react";
import type { StreamStatus } from "../api/stream";
import type { BarPoint } from "../api/types";
import { useServices } from "../context";
import { fmtNum, fmtTime } from "../format";

interface WireBar {
  open: number; high: number; low: number; close: number; volume: number; ts_event: number;
}

export interface Live {
  bar: BarPoint | null;
  count: number;
  status: StreamStatus;
  topic: string;
}

export function useLiveBar(instrumentId: string, tf: string): Live {
  const { stream } = useServices();
  const topic = `bars.${instrumentId}.${tf}`;
  const [bar, setBar] = useState<BarPoint | null>(null);
  const [count, setCount] = useState(0);
  const [status, setStatus] = useState<StreamStatus>(stream.status);
  useEffect(() => stream.onStatus(setStatus), [stream]);
  useEffect(() => {
    setBar(null);
    setCount(0);
    return stream.subscribe(topic, (frame) => {
      const b = frame.data as WireBar;
      setBar({ ts: b.ts_event, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
      setCount((c) => c + 1);
    });
  }, [stream, topic]);
  return { bar, count, status, topic };
}

export function LiveStatus({ live }: { live: Live }) {
  const { status, bar, count, topic } = live;
  return (
    <p className="live" role="status" data-testid="live-status" data-count={count}>
      <span className={`dot dot-${status.state}`} aria-hidden="true" />
      Live <code>{topic}</code>: {status.state}
      {status.reason ? ` (${status.reason})` : ""}
      {bar ? ` · ${count} updates, last close ${fmtNum(bar.close)} for the bar closing ${fmtTime(bar.ts)}` : " · waiting for a bar"}
    </p>
  );
}
