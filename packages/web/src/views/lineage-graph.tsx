import type { LineageEdge, LineageGraph, LineageNode } from '@cairn/core/wire';
import { href } from '../route.js';

const COL = 210;
const BOX_W = 180;
const BOX_H = 34;
const ROW = 48;
const PAD = 10;
/** Past this many nodes the picture stops helping; the lists below still show everything. */
export const MAX_GRAPH_NODES = 150;

interface Placed {
  node: LineageNode;
  x: number;
  y: number;
}

function link(n: LineageNode): string | undefined {
  if (n.kind === 'artifact') return href({ view: 'version', id: n.id });
  if (n.kind === 'run') return href({ view: 'run', id: n.id });
  return undefined;
}

function clip(label: string): string {
  return label.length > 26 ? `${label.slice(0, 12)}…${label.slice(-13)}` : label;
}

/**
 * Inputs on the left, outputs on the right: upstream nodes one column left per step away from
 * the root, downstream ones to the right. Edges run from each source's right side to its
 * destination's left.
 */
export function LineagePicture({ up, down }: { up: LineageGraph; down: LineageGraph }) {
  const columns = new Map<number, LineageNode[]>();
  const seen = new Set<string>();
  const add = (n: LineageNode, col: number): void => {
    if (seen.has(n.arn)) return;
    seen.add(n.arn);
    const list = columns.get(col) ?? [];
    list.push(n);
    columns.set(col, list);
  };
  for (const n of up.nodes) add(n, -n.depth);
  for (const n of down.nodes) add(n, n.depth);
  if (seen.size <= 1 || seen.size > MAX_GRAPH_NODES) return null;

  const cols = [...columns.keys()].sort((a, b) => a - b);
  const first = cols[0] as number;
  const placed = new Map<string, Placed>();
  let rows = 0;
  for (const c of cols) {
    const list = (columns.get(c) as LineageNode[]).sort((a, b) => a.label.localeCompare(b.label));
    rows = Math.max(rows, list.length);
    list.forEach((node, i) => {
      placed.set(node.arn, { node, x: PAD + (c - first) * COL, y: PAD + i * ROW });
    });
  }
  const edges = new Map<string, LineageEdge>();
  for (const e of [...up.edges, ...down.edges]) edges.set(`${e.source}|${e.dest}|${e.type}`, e);
  const width = PAD * 2 + (cols.length - 1) * COL + BOX_W;
  const height = PAD * 2 + (rows - 1) * ROW + BOX_H;

  return (
    <svg
      class="lineage-graph"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label="lineage graph"
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 8 8"
          refX="8"
          refY="4"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L8,4 L0,8 z" class="arrowhead" />
        </marker>
      </defs>
      {[...edges.values()].map((e) => {
        const s = placed.get(e.source);
        const d = placed.get(e.dest);
        if (!s || !d) return null;
        const x1 = s.x + BOX_W;
        const y1 = s.y + BOX_H / 2;
        const x2 = d.x;
        const y2 = d.y + BOX_H / 2;
        const mid = (x1 + x2) / 2;
        return (
          <path
            key={`${e.source}|${e.dest}|${e.type}`}
            class="edge"
            d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
            marker-end="url(#arrow)"
          >
            <title>{e.type}</title>
          </path>
        );
      })}
      {[...placed.values()].map(({ node, x, y }) => {
        const body = (
          <g class={`node ${node.kind}${node.depth === 0 ? ' root' : ''}`} data-arn={node.arn}>
            <title>{`${node.kind}: ${node.label}`}</title>
            <rect x={x} y={y} width={BOX_W} height={BOX_H} rx={node.kind === 'run' ? 17 : 4} />
            <text x={x + BOX_W / 2} y={y + BOX_H / 2 + 4} text-anchor="middle">
              {clip(node.label)}
            </text>
          </g>
        );
        const to = link(node);
        return to && node.depth > 0 ? (
          <a key={node.arn} href={to}>
            {body}
          </a>
        ) : (
          <g key={node.arn}>{body}</g>
        );
      })}
    </svg>
  );
}
