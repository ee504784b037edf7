import type { Page, VersionInfo } from '@cairn/core/wire';
import { api } from '../api.js';
import { formatBytes, formatTime, namedAliases } from '../format.js';
import { href } from '../route.js';
import { usePages } from '../use-api.js';
import { Chips, Crumbs, PageEnd, useTitle } from './common.js';

/** An artifact (collection): its versions, oldest first, a page at a time. */
export function Artifact({
  entity,
  project,
  name,
}: {
  entity: string;
  project: string;
  name: string;
}) {
  useTitle(`${entity}/${project}/${name}`);
  const list = usePages<VersionInfo>(
    (cursor) =>
      api.get<Page<VersionInfo>>('/versions', {
        entity,
        project,
        collection: name,
        limit: 100,
        cursor,
      }),
    [entity, project, name],
  );
  const type = list.items[0]?.type;
  return (
    <section>
      <Crumbs entity={entity} path={project} />
      <h1>
        {name} {type && <span class="type">{type}</span>}
      </h1>
      {list.empty ? (
        <p class="empty">No live versions.</p>
      ) : (
        <table class="listing versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>Tags</th>
              <th>Files</th>
              <th>Size</th>
              <th>Created</th>
              <th>Digest</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((v) => (
              <tr key={v.id}>
                <td>
                  <a href={href({ view: 'version', id: v.id })}>v{v.index}</a>
                </td>
                <td>
                  <Chips values={namedAliases(v)} kind="alias" />
                </td>
                <td>
                  <Chips values={v.tags} kind="tag" />
                </td>
                <td>{v.fileCount}</td>
                <td>{formatBytes(v.size)}</td>
                <td title={v.createdAt}>{formatTime(v.createdAt)}</td>
                <td>
                  <code title={v.digest}>{v.digest.slice(0, 12)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <PageEnd list={list} label="versions" />
    </section>
  );
}
