import type { ManifestBody, ManifestEntry, VersionInfo } from '@cairn/core/wire';
import { ApiError, api } from '../api.js';
import { diffManifests } from '../diff.js';
import { formatBytes, namedAliases, plural, qualified } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../use-api.js';
import { Crumbs, Failure, Loading, useTitle } from './common.js';

/** Two whole manifests are fetched; past this many entries the page would only be slow. */
export const MAX_COMPARED_FILES = 50_000;

async function load(from: string, to: string) {
  const [a, b] = await Promise.all([
    api.get<VersionInfo>(`/versions/${from}`),
    api.get<VersionInfo>(`/versions/${to}`),
  ]);
  for (const v of [a, b]) {
    if (v.fileCount > MAX_COMPARED_FILES) {
      throw new ApiError(
        400,
        'VALIDATION',
        `${qualified(v)} has ${v.fileCount} files; the UI compares versions of at most ${MAX_COMPARED_FILES} (use the SDK's manifest for more)`,
      );
    }
  }
  const [ma, mb] = await Promise.all([
    api.get<ManifestBody>(`/versions/${from}/manifest`),
    api.get<ManifestBody>(`/versions/${to}/manifest`),
  ]);
  return { a, b, diff: diffManifests(ma.entries, mb.entries) };
}

function Entries({ title, entries }: { title: string; entries: ManifestEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <section class={`diff ${title.toLowerCase()}`}>
      <h2>
        {title} <span class="muted">({entries.length})</span>
      </h2>
      <table class="listing">
        <tbody>
          {entries.map((e) => (
            <tr key={e.path}>
              <td class="path">{e.path}</td>
              <td>{formatBytes(e.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function Compare({ from, to }: { from: string; to: string }) {
  const loaded = useApi(() => load(from, to), [from, to]);
  useTitle(loaded.data ? `${qualified(loaded.data.a)} → v${loaded.data.b.index}` : 'Compare');
  if (loaded.error) return <Failure error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const { a, b, diff } = loaded.data;
  const link = (v: VersionInfo) => <a href={href({ view: 'version', id: v.id })}>{qualified(v)}</a>;
  return (
    <section>
      <Crumbs entity={b.entity} path={b.project} />
      <h1>
        Compare {link(a)} → {link(b)}
      </h1>
      <p class="summary">
        {plural(diff.added.length, 'file')} added, {diff.removed.length} removed,{' '}
        {diff.changed.length} changed, {diff.unchanged} unchanged. Size {formatBytes(a.size)} →{' '}
        {formatBytes(b.size)}.
      </p>
      <Entries title="Added" entries={diff.added} />
      <Entries title="Removed" entries={diff.removed} />
      {diff.changed.length > 0 && (
        <section class="diff changed">
          <h2>
            Changed <span class="muted">({diff.changed.length})</span>
          </h2>
          <table class="listing">
            <tbody>
              {diff.changed.map(({ before, after }) => (
                <tr key={after.path}>
                  <td class="path">{after.path}</td>
                  <td>
                    {formatBytes(before.size)} → {formatBytes(after.size)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}

/** A choice of another version of the same artifact to compare this one with. */
export function CompareWith({ version }: { version: VersionInfo }) {
  const others = useApi(
    () =>
      api.get<{ items: VersionInfo[] }>('/versions', {
        entity: version.entity,
        project: version.project,
        collection: version.collection,
        limit: 1000,
      }),
    [version.id],
  );
  const items = (others.data?.items ?? []).filter((v) => v.id !== version.id);
  if (items.length === 0) return null;
  return (
    <label class="compare-with">
      Compare with{' '}
      <select
        name="compare"
        onChange={(e) => {
          const other = e.currentTarget.value;
          if (other) location.hash = href({ view: 'compare', from: other, to: version.id });
        }}
      >
        <option value="">a version…</option>
        {items.map((v) => (
          <option key={v.id} value={v.id}>
            v{v.index}
            {namedAliases(v).map((x) => ` ${x}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
