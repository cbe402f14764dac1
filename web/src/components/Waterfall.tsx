/** A P&L waterfall: each step starts where the previous ended; the last bar is the total. */

export interface Step {
  label: string;
  value: number;
}

export function waterfall(steps: Step[]): { label: string; from: number; to: number; total: boolean }[] {
  let run = 0;
  const out = steps.map((s) => {
    const from = run;
    run += s.value;
    return { label: s.label, from, to: run, total: false };
  });
  out.push({ label: "Total", from: 0, to: run, total: true });
  return out;
}

export function Waterfall({ steps, title }: { steps: Step[]; title: string }) {
  const bars = waterfall(steps);
  const lo = Math.min(0, ...bars.map((b) => Math.min(b.from, b.to)));
  const hi = Math.max(0, ...bars.map((b) => Math.max(b.from, b.to)));
  const span = hi - lo || 1;
  const w = 64;
  const h = 180;
  const y = (v: number) => h - ((v - lo) / span) * h;
  return (
    <figure className="waterfall">
      <svg width="100%" viewBox={`0 0 ${bars.length * w} ${h + 40}`} role="img"
        aria-label={`${title}: ${steps.map((s) => `${s.label} ${s.value.toFixed(2)}`).join(", ")}; total ${bars[bars.length - 1]?.to.toFixed(2)}`}>
        <line x1={0} x2={bars.length * w} y1={y(0)} y2={y(0)} stroke="currentColor" strokeOpacity={0.4} />
        {bars.map((b, i) => {
          const top = y(Math.max(b.from, b.to));
          const height = Math.max(1, Math.abs(y(b.from) - y(b.to)));
          const fill = b.total ? "var(--accent)" : b.to >= b.from ? "var(--ok)" : "var(--bad)";
          return (
            <g key={`${b.label}-${i}`}>
              <rect x={i * w + 8} y={top} width={w - 16} height={height} fill={fill} />
              <text x={i * w + w / 2} y={h + 16} textAnchor="middle" fontSize={10} fill="currentColor">{b.label.slice(0, 10)}</text>
              <text x={i * w + w / 2} y={h + 32} textAnchor="middle" fontSize={10} fill="currentColor">{(b.to - b.from).toFixed(0)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
