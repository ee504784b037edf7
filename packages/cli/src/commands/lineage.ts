import {
  ValidationError,
  type LineageDirection,
  type LineageGraph,
  type LineageNode,
} from '@cairn/core';
import type { Command } from 'commander';
import { clientFrom, type ClientFlags } from '../client.js';
import { action, printResult } from '../output.js';
import { withClientOptions } from './artifact.js';

interface LineageFlags extends ClientFlags {
  direction?: string;
  depth?: string;
  limit?: string;
  json?: boolean;
}

function nodeLine(n: LineageNode | undefined, arn: string): string {
  if (!n) return arn;
  if (n.artifact)
    return `${n.artifact.ref} [${n.artifact.type}]${n.artifact.state === 'DELETED' ? ' (deleted)' : ''}`;
  if (n.run) {
    const what = [n.run.jobType, n.run.state].filter(Boolean).join(', ');
    return `run ${n.run.name} (${what}) ${n.run.id}`;
  }
  return `${n.kind} ${n.label}`;
}

/**
 * The graph as indented trees from the root: upstream follows edges backwards (where it came
 * from), downstream forwards. A node met again (a diamond or a cycle) is printed once more with
 * `(see above)` and not expanded, so the output stays finite and readable.
 */
export function renderTree(g: LineageGraph): string {
  const byArn = new Map(g.nodes.map((n) => [n.arn, n]));
  const lines = [nodeLine(byArn.get(g.root), g.root)];
  const sides: ('upstream' | 'downstream')[] =
    g.direction === 'both' ? ['upstream', 'downstream'] : [g.direction];
  for (const side of sides) {
    const next = new Map<string, { arn: string; type: string }[]>();
    for (const e of g.edges) {
      const [from, to] = side === 'upstream' ? [e.dest, e.source] : [e.source, e.dest];
      next.set(from, [...(next.get(from) ?? []), { arn: to, type: e.type }]);
    }
    const children = next.get(g.root) ?? [];
    lines.push(`${side}:${children.length === 0 ? ' (none)' : ''}`);
    const seen = new Set([g.root]);
    const walk = (arn: string, prefix: string, depth: number): void => {
      const kids = depth < g.depth ? (next.get(arn) ?? []) : [];
      kids.forEach((k, i) => {
        const last = i === kids.length - 1;
        const again = seen.has(k.arn);
        seen.add(k.arn);
        lines.push(
          `${prefix}${last ? '└── ' : '├── '}${nodeLine(byArn.get(k.arn), k.arn)}  ‹${k.type}›${again ? '  (see above)' : ''}`,
        );
        if (!again) walk(k.arn, `${prefix}${last ? '    ' : '│   '}`, depth + 1);
      });
    };
    walk(g.root, '  ', 0);
  }
  if (g.truncated) {
    lines.push(
      `(truncated: the ${g.nodes.length} nearest nodes of more within depth ${g.depth}; raise --limit, at most 5000, or lower --depth)`,
    );
  }
  return lines.join('\n');
}

function parseDirection(value: string | undefined): LineageDirection | undefined {
  if (value === undefined || value === 'upstream' || value === 'downstream' || value === 'both') {
    return value;
  }
  throw new ValidationError(`--direction must be upstream, downstream or both, got ${value}`, {
    rule: 'lineage.direction',
  });
}

function parseDepth(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new ValidationError(`--depth must be a whole number of edges, got ${value}`, {
      rule: 'lineage.depth',
    });
  }
  return Number(value);
}

function parseCount(value: string | undefined, flag: string, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new ValidationError(`${flag} must be ${what}, got ${value}`, { rule: 'lineage.limit' });
  }
  return Number(value);
}

export function lineageCommand(program: Command): void {
  withClientOptions(
    program
      .command('lineage <ref>')
      .description(
        'the lineage of an artifact version ([[entity/]project/]name[:alias]), a run id or an ARN, as a tree',
      )
      .option('--direction <direction>', 'upstream, downstream or both', 'both')
      .option('--depth <n>', 'edges from the root (at most 100)', '10')
      .option('--limit <n>', 'most nodes shown, the nearest first (default 1000, at most 5000)'),
  ).action(
    action(async (ref: string, flags: LineageFlags) => {
      const client = clientFrom(flags);
      const direction = parseDirection(flags.direction);
      const depth = parseDepth(flags.depth);
      const limit = parseCount(flags.limit, '--limit', 'a whole number of nodes');
      const graph = await client.lineage(ref, {
        ...(direction !== undefined ? { direction } : {}),
        ...(depth !== undefined ? { depth } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      printResult(flags, graph, () => renderTree(graph));
    }),
  );
}
