import { useEffect, useState } from 'preact/hooks';
import { KEY_CHANGED, apiKey, setApiKey } from './api.js';
import { href, parseHash, type Route } from './route.js';
import { Artifact } from './views/artifact.js';
import { TextForm } from './views/common.js';
import { Folder } from './views/folder.js';
import { Home } from './views/home.js';
import { Compare } from './views/compare.js';
import { Run } from './views/run.js';
import { Reference, Version } from './views/version.js';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** `entity/project/name:alias` (or a version id) typed into the header. */
function GoTo() {
  return (
    <TextForm
      class="goto"
      role="search"
      name="ref"
      label="artifact reference"
      placeholder="entity/project/name:alias"
      button="Go"
      submit={(ref) => {
        location.hash = href({ view: 'ref', ref });
      }}
    />
  );
}

function Page({ route }: { route: Route }) {
  switch (route.view) {
    case 'home':
      return <Home />;
    case 'folder':
      return <Folder entity={route.entity} path={route.path} />;
    case 'artifact':
      return <Artifact entity={route.entity} project={route.project} name={route.name} />;
    case 'version':
      return <Version id={route.id} />;
    case 'run':
      return <Run id={route.id} />;
    case 'compare':
      return <Compare from={route.from} to={route.to} />;
    case 'ref':
      return <Reference reference={route.ref} />;
    case 'unknown':
      return (
        <div class="error" role="alert">
          <strong>NOT_FOUND</strong> There is no page at {route.hash}.{' '}
          <a href={href({ view: 'home' })}>Start over</a>.
        </div>
      );
  }
}

export function App() {
  const route = useRoute();
  // Remounting on every navigation (and after a key change) starts each page's loads afresh.
  const [keyEpoch, setKeyEpoch] = useState(0);
  useEffect(() => {
    const onKey = (): void => setKeyEpoch((n) => n + 1);
    addEventListener(KEY_CHANGED, onKey);
    return () => removeEventListener(KEY_CHANGED, onKey);
  }, []);
  const keyed = apiKey() !== null;
  return (
    <>
      <header>
        <a class="brand" href={href({ view: 'home' })}>
          Cairn
        </a>
        <GoTo />
        {keyed && (
          <button type="button" class="forget-key" onClick={() => setApiKey(null)}>
            Forget API key
          </button>
        )}
      </header>
      <main key={`${location.hash}|${keyEpoch}`}>
        <Page route={route} />
      </main>
    </>
  );
}
