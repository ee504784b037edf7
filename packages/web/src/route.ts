/**
 * Where the UI is, kept in the URL's hash so that every page can be bookmarked and reloaded and
 * the server only has to serve one document:
 *   #/                                  entities
 *   #/folder/<entity>[/<project path>]  a folder: subfolders and artifacts
 *   #/artifact/<entity>/<project>/<name> an artifact's versions (the project may hold slashes)
 *   #/version/<id>                      one version
 *   #/run/<id>                          one run: config, inputs, outputs, history
 *   #/compare/<id>/<id>                 the files that differ from one version to another
 *   #/ref/<entity/project/name:alias>   resolves a reference, then shows the version
 */
export type Route =
  | { view: 'home' }
  | { view: 'folder'; entity: string; path: string }
  | { view: 'artifact'; entity: string; project: string; name: string }
  | { view: 'version'; id: string }
  | { view: 'run'; id: string }
  | { view: 'compare'; from: string; to: string }
  | { view: 'ref'; ref: string }
  | { view: 'unknown'; hash: string };

const enc = (s: string): string => s.split('/').map(encodeURIComponent).join('/');

export function href(r: Route): string {
  switch (r.view) {
    case 'home':
      return '#/';
    case 'folder':
      return `#/folder/${enc(r.entity)}${r.path ? `/${enc(r.path)}` : ''}`;
    case 'artifact':
      return `#/artifact/${enc(r.entity)}/${enc(r.project)}/${enc(r.name)}`;
    case 'version':
      return `#/version/${encodeURIComponent(r.id)}`;
    case 'run':
      return `#/run/${encodeURIComponent(r.id)}`;
    case 'compare':
      return `#/compare/${encodeURIComponent(r.from)}/${encodeURIComponent(r.to)}`;
    case 'ref':
      return `#/ref/${encodeURIComponent(r.ref)}`;
    case 'unknown':
      return r.hash;
  }
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  if (raw === '') return { view: 'home' };
  let parts: string[];
  try {
    parts = raw.split('/').map(decodeURIComponent);
  } catch {
    return { view: 'unknown', hash };
  }
  const [kind, ...rest] = parts;
  if (kind === 'folder' && rest.length >= 1 && rest[0]) {
    return { view: 'folder', entity: rest[0], path: rest.slice(1).join('/') };
  }
  if (kind === 'artifact' && rest.length >= 3 && rest[0]) {
    return {
      view: 'artifact',
      entity: rest[0],
      project: rest.slice(1, -1).join('/'),
      name: rest[rest.length - 1] as string,
    };
  }
  if (kind === 'version' && rest.length === 1 && rest[0]) return { view: 'version', id: rest[0] };
  if (kind === 'run' && rest.length === 1 && rest[0]) return { view: 'run', id: rest[0] };
  if (kind === 'compare' && rest.length === 2 && rest[0] && rest[1]) {
    return { view: 'compare', from: rest[0], to: rest[1] };
  }
  if (kind === 'ref' && rest.length >= 1) return { view: 'ref', ref: rest.join('/') };
  return { view: 'unknown', hash };
}
