import type { LineageGraph, LineageNode, Page, RunInfo } from '@cairn/core/wire';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../use-api.js';
import { Failure, Loading, TitledList } from './common.js';
import { LineagePicture } from './lineage-graph.js';

function RunList({ title, runs }: { title: string; runs: RunInfo[] }) {
  return (
    <TitledList
      title={title}
      items={runs}
      keyOf={(r) => r.id}
      item={(r) => (
        <>
          <a href={href({ view: 'run', id: r.id })}>{r.name}</a>{' '}
          <span class="muted">{r.jobType ?? ''}</span> ·{' '}
          <span class={`state ${r.state}`}>{r.state}</span> ·{' '}
          <span title={r.createdAt}>{formatTime(r.createdAt)}</span>
        </>
      )}
    />
  );
}

/** The artifacts of a graph (not its root), linked, with how far away each is. */
export function ArtifactList({
  title,
  graph,
  maxDepth = Infinity,
}: {
  title: string;
  graph: LineageGraph;
  maxDepth?: number;
}) {
  const nodes = graph.nodes.filter(
    (n) => n.depth > 0 && n.depth <= maxDepth && n.kind === 'artifact',
  );
  return (
    <TitledList
      title={title}
      items={nodes}
      keyOf={(n: LineageNode) => n.arn}
      item={(n: LineageNode) => (
        <>
          <a href={href({ view: 'version', id: n.id })}>{n.label}</a>{' '}
          <span class="muted">
            {n.artifact?.type}
            {maxDepth > 1 && ` · ${n.depth} ${n.depth === 1 ? 'step' : 'steps'} away`}
          </span>
        </>
      )}
    >
      {graph.truncated && <p class="muted">Only the nearest {graph.limit} nodes are shown.</p>}
    </TitledList>
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
        <ArtifactList title="Upstream artifacts" graph={up} />
        <ArtifactList title="Downstream artifacts" graph={down} />
      </div>
    </section>
  );
}
