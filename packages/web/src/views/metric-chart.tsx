import type { RunHistoryRow } from '@cairn/core/wire';

const W = 300;
const H = 110;
const PAD = 6;

function points(rows: readonly RunHistoryRow[], key: string): [number, number][] {
  const out: [number, number][] = [];
  for (const r of rows) {
    const v = r.data[key];
    if (typeof v === 'number' && Number.isFinite(v)) out.push([r.step, v]);
  }
  return out;
}

function short(n: number): string {
  return Math.abs(n) >= 1e4 || (Math.abs(n) < 1e-3 && n !== 0)
    ? n.toExponential(2)
    : String(+n.toPrecision(4));
}

/** One line chart of a metric over the steps, scaled to its own range. */
function Chart({ name, data }: { name: string; data: [number, number][] }) {
  const xs = data.map((d) => d[0]);
  const ys = data.map((d) => d[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number): number => PAD + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * PAD);
  const sy = (y: number): number => H - PAD - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * PAD);
  const path = data
    .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
    .join('');
  return (
    <figure class="metric" aria-label={`${name} by step`}>
      <figcaption>
        <strong>{name}</strong>{' '}
        <span class="muted">
          {short(ys[ys.length - 1] as number)} at step {xs[xs.length - 1]} · min {short(y0)} · max{' '}
          {short(y1)}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img">
        <rect x="0" y="0" width={W} height={H} class="plot" />
        <path d={path} class="line" />
        {data.length === 1 && (
          <circle cx={sx(xs[0] as number)} cy={sy(ys[0] as number)} r="3" class="dot" />
        )}
      </svg>
    </figure>
  );
}

/** A chart for every key whose logged values are numbers. */
export function MetricCharts({
  rows,
  keys,
}: {
  rows: readonly RunHistoryRow[];
  keys: readonly string[];
}) {
  const charts = keys.map((k) => [k, points(rows, k)] as const).filter(([, d]) => d.length > 0);
  if (charts.length === 0) return null;
  return (
    <div class="charts">
      {charts.map(([k, d]) => (
        <Chart key={k} name={k} data={d} />
      ))}
    </div>
  );
}
