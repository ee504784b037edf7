import type { CollectionInfo, FolderInfo, FolderListing } from '@cairn/core/wire';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { formatTime, plural } from '../format.js';
import { href } from '../route.js';
import { usePages } from '../use-api.js';
import { Crumbs, PageEnd, useTitle } from './common.js';
import { FolderActions } from './folder-actions.js';

type Row = { kind: 'folder'; folder: FolderInfo } | { kind: 'artifact'; artifact: CollectionInfo };

export function Folder({ entity, path }: { entity: string; path: string }) {
  // Bumped after a change made here, so that the listing is read again.
  const [revision, setRevision] = useState(0);
  useTitle(`/${[entity, path].filter(Boolean).join('/')}`);
  const list = usePages<Row>(
    async (cursor) => {
      const page = await api.get<FolderListing>('/folders', { entity, path, limit: 200, cursor });
      return {
        items: [
          ...page.folders.map((folder): Row => ({ kind: 'folder', folder })),
          ...page.artifacts.map((artifact): Row => ({ kind: 'artifact', artifact })),
        ],
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },
    [entity, path, revision],
  );
  return (
    <section>
      <Crumbs entity={entity} path={path} />
      <h1>/{[entity, path].filter(Boolean).join('/')}</h1>
      <FolderActions entity={entity} path={path} changed={() => setRevision((n) => n + 1)} />
      {list.empty ? (
        <p class="empty">This folder is empty.</p>
      ) : (
        <table class="listing">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Versions</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((r) =>
              r.kind === 'folder' ? (
                <tr key={`f:${r.folder.path}`} class="folder-row">
                  <td>
                    <a href={href({ view: 'folder', entity, path: r.folder.path })}>
                      {r.folder.path.split('/').pop()}/
                    </a>
                  </td>
                  <td class="muted">folder</td>
                  <td />
                  <td title={r.folder.createdAt ?? ''}>{formatTime(r.folder.createdAt)}</td>
                </tr>
              ) : (
                <tr key={`a:${r.artifact.name}`} class="artifact-row">
                  <td>
                    <a
                      href={href({
                        view: 'artifact',
                        entity,
                        project: r.artifact.project,
                        name: r.artifact.name,
                      })}
                    >
                      {r.artifact.name}
                    </a>
                  </td>
                  <td>{r.artifact.type}</td>
                  <td>{plural(r.artifact.versionCount, 'version')}</td>
                  <td title={r.artifact.updatedAt}>{formatTime(r.artifact.updatedAt)}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
      <PageEnd list={list} label="entries" />
    </section>
  );
}
