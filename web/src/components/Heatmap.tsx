/** A sector × instrument table of exposures, cells shaded by |value| (sign by colour). */
import { fmtNum } from "../format";

export interface Cell {
  row: string;
  col: string;
  value: number;
}

export function pivot(cells: Cell[]): { rows: string[]; cols: string[]; at: (r: string, c: string) => number | undefined } {
  const rows = [...new Set(cells.map((c) => c.row))].sort();
  const cols = [...new Set(cells.map((c) => c.col))].sort();
  const map = new Map(cells.map((c) => [`${c.row}\u0000${c.col}`, c.value]));
  return { rows, cols, at: (r, c) => map.get(`${r}\u0000${c}`) };
}

export function Heatmap({ cells, caption }: { cells: Cell[]; caption: string }) {
  const { rows, cols, at } = pivot(cells);
  const max = Math.max(1e-12, ...cells.map((c) => Math.abs(c.value)));
  return (
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table className="heat">
        <caption>{caption}</caption>
        <thead>
          <tr><th scope="col">Sector</th>{cols.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r}>
              <th scope="row">{r}</th>
              {cols.map((c) => {
                const v = at(r, c);
                const a = v === undefined ? 0 : 0.15 + 0.85 * (Math.abs(v) / max);
                const bg = v === undefined ? "transparent" : v >= 0 ? `rgba(38,166,154,${a})` : `rgba(239,83,80,${a})`;
                return <td key={c} style={{ background: bg }}>{v === undefined ? "" : fmtNum(v, 0)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
