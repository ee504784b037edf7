import type { LineageGraph, Page, RunHistoryRow, RunInfo } from '@cairn/core/wire';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { useApi, usePages } from '../use-api.js';
import { Crumbs, DetailList, Failure, Loading, PageEnd, useTitle } from './common.js';
import { ArtifactList } from './lineage.js';
import { MetricCharts } from './metric-chart.js';

/** The run's `run.log` rows: one column per key seen in the rows loaded so far. */
function History({ runId }: { runId: string }) {
  const list = usePages<RunHistoryRow>(
    (cursor) => api.get<Page<RunHistoryRow>>(`/runs/${runId}/history`, { limit: 500, cursor }),
    [runId],
  );
  const keys = [...new Set(list.items.flatMap((r) => Object.keys(r.data)))].sort();
  return (
    <section class="history">
      <h2>History</h2>
      {list.empty ? (
        <p class="muted">Nothing logged with run.log.</p>
      ) : (
        <>
          <MetricCharts rows={list.items} keys={keys} />
          <table class="listing">
            <thead>
              <tr>
                <th>Step</th>
                {keys.map((k) => (
                  <th key={k}>{k}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.items.map((r) => (
                <tr key={r.step}>
                  <td>{r.step}</td>
                  {keys.map((k) => (
                    <td key={k}>{k in r.data ? JSON.stringify(r.data[k]) : ''}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <PageEnd list={list} label="history rows" />
    </section>
  );
}

export function Run({ id }: { id: string }) {
  const loaded = useApi(
    () =>
      Promise.all([
        api.get<RunInfo>(`/runs/${id}`),
        api.get<LineageGraph>('/lineage', { ref: id, direction: 'upstream', depth: 1 }),
        api.get<LineageGraph>('/lineage', { ref: id, direction: 'downstream', depth: 1 }),
      ]),
    [id],
  );
  useTitle(loaded.data ? `run ${loaded.data[0].name}` : undefined);
  if (loaded.error) return <Failure error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const [run, inputs, outputs] = loaded.data;
  const rows: [string, string | number][] = [
    ['Id', run.id],
    ['Project', `${run.entity}/${run.project}`],
    ['Job type', run.jobType ?? ''],
    ['Started', formatTime(run.createdAt)],
    ['Finished', run.finishedAt ? formatTime(run.finishedAt) : 'not yet'],
    ['Last heartbeat', formatTime(run.heartbeatAt)],
    ['Exit code', run.exitCode ?? ''],
    ['Step', run.step],
  ];
  return (
    <section>
      <Crumbs entity={run.entity} path={run.project} />
      <h1>
        {run.name} <span class={`state ${run.state}`}>{run.state}</span>
      </h1>
      <DetailList rows={rows} />
      <h2>Config</h2>
      {Object.keys(run.config).length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <pre class="config">{JSON.stringify(run.config, null, 2)}</pre>
      )}
      <section class="run-io">
        <h2>Artifacts</h2>
        <div class="columns">
          <ArtifactList title="Used (inputs)" graph={inputs} maxDepth={1} />
          <ArtifactList title="Logged (outputs)" graph={outputs} maxDepth={1} />
        </div>
      </section>
      <History runId={run.id} />
    </section>
  );
}
