import type { ManifestEntry, Page } from '@cairn/core/wire';
import { api, apiKey, apiUrl } from '../api.js';
import { formatBytes } from '../format.js';
import { usePages } from '../use-api.js';
import { PageEnd } from './common.js';

/** Saves one entry: a plain link without a key; with one, fetched with the header first. */
function DownloadLink({ versionId, entry }: { versionId: string; entry: ManifestEntry }) {
  const query = { path: entry.path };
  const url = apiUrl(`/versions/${versionId}/file`, query);
  const name = entry.path.split('/').pop() ?? entry.path;
  const onClick = async (e: MouseEvent): Promise<void> => {
    if (!apiKey()) return;
    e.preventDefault();
    try {
      const blob = await api.blob(`/versions/${versionId}/file`, query);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    } catch (err) {
      alert(`download failed: ${String(err instanceof Error ? err.message : err)}`);
    }
  };
  return (
    <a href={url} download={name} onClick={onClick}>
      download
    </a>
  );
}

export function Files({ versionId, count }: { versionId: string; count: number }) {
  const list = usePages<ManifestEntry>(
    (cursor) =>
      api.get<Page<ManifestEntry>>(`/versions/${versionId}/files`, { limit: 200, cursor }),
    [versionId],
  );
  return (
    <section class="files">
      <h2>
        Files <span class="muted">({count})</span>
      </h2>
      <table class="listing">
        <thead>
          <tr>
            <th>Path</th>
            <th>Size</th>
            <th>Digest (MD5)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.items.map((e) => (
            <tr key={e.path}>
              <td class="path">{e.path}</td>
              <td>{formatBytes(e.size)}</td>
              <td>
                <code>{e.digest}</code>
              </td>
              <td>
                {e.sha256 ? (
                  <DownloadLink versionId={versionId} entry={e} />
                ) : (
                  <span class="muted" title={e.ref}>
                    reference: {e.ref}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <PageEnd list={list} label="files" />
    </section>
  );
}
