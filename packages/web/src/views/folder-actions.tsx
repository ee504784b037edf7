import type { FolderCreate, FolderDeleteResult, FolderInfo, FolderMove } from '@cairn/core/wire';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { href } from '../route.js';
import { TextForm } from './common.js';

function message(err: unknown): string {
  return err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
}

const join = (path: string, name: string): string => (path ? `${path}/${name}` : name);
const parentOf = (path: string): string => path.split('/').slice(0, -1).join('/');

/**
 * Make a subfolder; and for a folder below the entity's root, move (or rename) it and delete it.
 * A delete that the server refuses because the folder is not empty is offered again as a
 * recursive one, after a second confirmation.
 */
export function FolderActions({
  entity,
  path,
  changed,
}: {
  entity: string;
  path: string;
  changed: () => void;
}) {
  const [error, setError] = useState<string | undefined>(undefined);
  const full = `/${[entity, path].filter(Boolean).join('/')}`;

  const create = async (name: string): Promise<boolean> => {
    setError(undefined);
    try {
      const body: FolderCreate = { entity, path: join(path, name) };
      await api.post<FolderInfo>('/folders', body);
      changed();
      return true;
    } catch (err) {
      setError(message(err));
      return false;
    }
  };
  const move = async (target: string): Promise<void> => {
    setError(undefined);
    const toPath = target.replace(/^\/+|\/+$/g, '');
    try {
      const body: FolderMove = { entity, path, toPath, parents: true };
      const moved = await api.post<FolderInfo>('/folders/move', body);
      location.hash = href({ view: 'folder', entity: moved.entity, path: moved.path });
    } catch (err) {
      setError(message(err));
    }
  };
  const remove = async (): Promise<void> => {
    setError(undefined);
    if (!confirm(`Delete folder ${full}?`)) return;
    const done = (): void => {
      location.hash = href({ view: 'folder', entity, path: parentOf(path) });
    };
    try {
      await api.delete<FolderDeleteResult>('/folders', { entity, path });
      done();
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'CONFLICT') {
        setError(message(err));
        return;
      }
      if (!confirm(`${err.message}\n\nDelete ${full} with everything in it?`)) return;
      try {
        await api.delete<FolderDeleteResult>('/folders', { entity, path, recursive: true });
        done();
      } catch (again) {
        setError(message(again));
      }
    }
  };

  return (
    <div class="folder-actions">
      <TextForm
        name="newFolder"
        label="new folder name"
        placeholder="new folder"
        button="Create folder"
        submit={create}
      />
      {path !== '' && (
        <>
          <TextForm
            name="moveTo"
            label="move or rename to"
            initial={path}
            button="Move"
            submit={move}
          />
          <button type="button" class="danger" onClick={remove}>
            Delete folder
          </button>
        </>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
