import type { EntityInfo } from '@cairn/core/wire';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { href } from '../route.js';
import { usePages } from '../use-api.js';
import { PageEnd, useTitle } from './common.js';

export function Home() {
  useTitle('Entities');
  const list = usePages<EntityInfo>((cursor) => api.get('/entities', { limit: 100, cursor }), []);
  return (
    <section>
      <h1>Entities</h1>
      {list.empty ? (
        <div class="empty">
          <p>Nothing is logged yet. Log a directory from a shell:</p>
          <pre>cairn artifact put ./data --name my-project/my-dataset --type dataset</pre>
        </div>
      ) : (
        <ul class="entities">
          {list.items.map((e) => (
            <li key={e.name}>
              <a href={href({ view: 'folder', entity: e.name, path: '' })}>{e.name}</a>{' '}
              <span class="muted" title={e.createdAt}>
                since {formatTime(e.createdAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <PageEnd list={list} label="entities" />
    </section>
  );
}
