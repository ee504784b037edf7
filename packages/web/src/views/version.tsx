import type { VersionInfo } from '@cairn/core/wire';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { formatBytes, formatTime, namedAliases, qualified } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../use-api.js';
import { Chips, Crumbs, DetailList, Failure, Loading, useTitle } from './common.js';
import { CompareWith } from './compare.js';
import { EditVersion } from './edit.js';
import { Files } from './files.js';
import { Lineage } from './lineage.js';

function Details({ v }: { v: VersionInfo }) {
  const rows: [string, ComponentChildren][] = [
    ['Id', <code>{v.id}</code>],
    ['Digest', <code>{v.digest}</code>],
    ['State', <span class={`state ${v.state}`}>{v.state}</span>],
    ['Files', v.fileCount],
    ['Size', `${formatBytes(v.size)} (${v.size.toLocaleString('en-US')} bytes)`],
    ['Created', <span title={v.createdAt}>{formatTime(v.createdAt)}</span>],
    ['Updated', <span title={v.updatedAt}>{formatTime(v.updatedAt)}</span>],
    ['Commit hash', <code>{v.commitHash}</code>],
    [
      'Time to live',
      v.ttlMs === null
        ? 'kept until deleted'
        : `${Math.round(v.ttlMs / 3_600_000)} h${v.ttlInherited ? ' (the project’s)' : ''}, expires ${formatTime(v.expiresAt)}`,
    ],
  ];
  if (v.source) {
    rows.push([
      'Links to',
      <a href={href({ view: 'version', id: v.source.id })}>
        {`${v.source.entity}/${v.source.project}/${v.source.collection}:v${v.source.index}`}
      </a>,
    ]);
  }
  return <DetailList rows={rows} />;
}

/** The registry collections this version is linked into. */
function RegistryLinks({ id }: { id: string }) {
  const links = useApi(() => api.get<{ items: VersionInfo[] }>(`/versions/${id}/links`), [id]);
  const items = links.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section class="links">
      <h2>In registries</h2>
      <ul>
        {items.map((l) => (
          <li key={l.id}>
            <a href={href({ view: 'version', id: l.id })}>{qualified(l)}</a>{' '}
            <Chips values={namedAliases(l)} kind="alias" />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Version({ id }: { id: string }) {
  const loaded = useApi(() => api.get<VersionInfo>(`/versions/${id}`), [id]);
  const [current, setCurrent] = useState<VersionInfo | undefined>(undefined);
  const [editing, setEditing] = useState(false);
  const [deleteError, setDeleteError] = useState<string | undefined>(undefined);
  useTitle(current ? qualified(current) : undefined);
  useEffect(() => {
    setCurrent(loaded.data);
    setEditing(false);
    setDeleteError(undefined);
  }, [loaded.data]);
  if (loaded.error) return <Failure error={loaded.error} />;
  const v = current;
  if (!v) return <Loading />;
  const artifact = href({
    view: 'artifact',
    entity: v.entity,
    project: v.project,
    name: v.collection,
  });
  const remove = async (): Promise<void> => {
    const aliases = namedAliases(v);
    const also = aliases.length > 0 ? ` Its aliases (${aliases.join(', ')}) are released.` : '';
    if (!confirm(`Delete ${qualified(v)}?${also}`)) return;
    try {
      await api.delete(`/versions/${v.id}`, { deleteAliases: true });
      location.hash = artifact;
    } catch (err) {
      setDeleteError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };
  return (
    <section>
      <Crumbs entity={v.entity} path={v.project}>
        <span class="sep">/</span>
        <a href={artifact}>{v.collection}</a>
      </Crumbs>
      <h1>
        {v.collection}:v{v.index} <span class="type">{v.type}</span>
      </h1>
      <p class="ref">
        <code>{qualified(v)}</code>
      </p>
      {editing ? (
        <EditVersion
          version={v}
          saved={(next) => {
            setCurrent(next);
            setEditing(false);
          }}
          cancel={() => setEditing(false)}
        />
      ) : (
        <div class="labels">
          <p class="description">{v.description ?? <span class="muted">No description.</span>}</p>
          <p>
            Aliases: <Chips values={v.aliases} kind="alias" />
          </p>
          <p>
            Tags: <Chips values={v.tags} kind="tag" />
          </p>
          {v.state === 'COMMITTED' && (
            <div class="buttons">
              <button type="button" onClick={() => setEditing(true)}>
                Edit
              </button>{' '}
              <button type="button" class="danger" onClick={remove}>
                Delete version
              </button>
            </div>
          )}
          {deleteError && (
            <p class="error" role="alert">
              {deleteError}
            </p>
          )}
        </div>
      )}
      {v.state === 'COMMITTED' && <CompareWith version={v} />}
      <Details v={v} />
      {v.state === 'COMMITTED' && <RegistryLinks id={v.id} />}
      <section class="metadata">
        <h2>Metadata</h2>
        {Object.keys(v.metadata).length === 0 ? (
          <p class="muted">none</p>
        ) : (
          <pre>{JSON.stringify(v.metadata, null, 2)}</pre>
        )}
      </section>
      <Files versionId={v.id} count={v.fileCount} />
      <Lineage versionId={v.id} reference={qualified(v)} />
    </section>
  );
}

/** `#/ref/…`: resolves the reference, then shows the version it names. */
export function Reference({ reference }: { reference: string }) {
  const loaded = useApi(
    () => api.get<VersionInfo>('/versions/resolve', { ref: reference }),
    [reference],
  );
  if (loaded.error) return <Failure error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  return <Version id={loaded.data.id} />;
}
