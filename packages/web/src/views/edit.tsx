import type { VersionInfo, VersionUpdate } from '@cairn/core/wire';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { namedAliases } from '../format.js';

/** `latest` and `vN` are the server's; the form edits only the aliases a user gave. */
export function userAliases(v: VersionInfo): string[] {
  return namedAliases(v).filter((a) => a !== 'latest');
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Description, aliases and tags of a committed version; the server checks every rule. */
export function EditVersion({
  version,
  saved,
  cancel,
}: {
  version: VersionInfo;
  saved: (v: VersionInfo) => void;
  cancel: () => void;
}) {
  const [description, setDescription] = useState(version.description ?? '');
  const [aliases, setAliases] = useState(userAliases(version).join(', '));
  const [tags, setTags] = useState(version.tags.join(', '));
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: VersionUpdate = {
      description: description.trim() === '' ? null : description,
      aliases: list(aliases),
      tags: list(tags),
    };
    try {
      saved(await api.patch<VersionInfo>(`/versions/${version.id}`, body));
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="edit" onSubmit={submit}>
      <label>
        Description
        <textarea
          name="description"
          rows={3}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </label>
      <label>
        Aliases <span class="muted">(comma-separated; latest and v{version.index} are kept)</span>
        <input name="aliases" value={aliases} onInput={(e) => setAliases(e.currentTarget.value)} />
      </label>
      <label>
        Tags <span class="muted">(comma-separated)</span>
        <input name="tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          Save
        </button>{' '}
        <button type="button" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
