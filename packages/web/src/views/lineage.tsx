import type { LineageGraph, LineageNode, Page, RunInfo } from '@cairn/core/wire';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../use-api.js';
import { Failure, Loading } from './common.js';
import { LineagePicture } from './lineage-graph.js';

function RunList({ title, runs }: { title: string; runs: RunInfo[] }) {
  return (
    <div>
      <h3>{title}</h3>
      {runs.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="runs">
          {runs.map((r) => (
            <li key={r.id}>
              <a href={href({ view: 'run', id: r.id })}>{r.name}</a>{' '}
              <span class="muted">{r.jobType ?? ''}</span> ·{' '}
              <span class={`state ${r.state}`}>{r.state}</span> ·{' '}
              <span title={r.createdAt}>{formatTime(r.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function NodeList({ title, graph }: { title: string; graph: LineageGraph }) {
  const nodes = graph.nodes.filter((n) => n.depth > 0 && n.kind === 'artifact');
  return (
    <div>
      <h3>{title}</h3>
      {nodes.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="lineage-nodes">
          {nodes.map((n: LineageNode) => (
            <li key={n.arn}>
              <a href={href({ view: 'version', id: n.id })}>{n.label}</a>{' '}
              <span class="muted">
                {n.artifact?.type} · {n.depth} {n.depth === 1 ? 'step' : 'steps'} away
              </span>
            </li>
          ))}
        </ul>
      )}
      {graph.truncated && <p class="muted">Only the nearest {graph.limit} nodes are shown.</p>}
    </div>
  );
}

/** Who made this version, who used it, and the artifacts before and after it. */
export function Lineage({ versionId, reference }: { versionId: string; reference: string }) {
  const loaded = useApi(
    () =>
      Promise.all([
        api.get<Page<RunInfo>>(`/versions/${versionId}/runs`, { direction: 'producer' }),
        api.get<Page<RunInfo>>(`/versions/${versionId}/runs`, { direction: 'consumers' }),
        api.get<LineageGraph>('/lineage', { ref: reference, direction: 'upstream', depth: 4 }),
        api.get<LineageGraph>('/lineage', { ref: reference, direction: 'downstream', depth: 4 }),
      ]),
    [versionId, reference],
  );
  if (loaded.error) return <Failure error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const [producer, consumers, up, down] = loaded.data;
  return (
    <section class="lineage">
      <h2>Lineage</h2>
      <div class="graph-box">
        <LineagePicture up={up} down={down} />
      </div>
      <div class="columns">
        <RunList title="Logged by" runs={producer.items} />
        <RunList title="Used by" runs={consumers.items} />
        <NodeList title="Upstream artifacts" graph={up} />
        <NodeList title="Downstream artifacts" graph={down} />
      </div>
    </section>
  );
}
