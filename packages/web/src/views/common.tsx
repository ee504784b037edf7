import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setApiKey, type ApiError } from '../api.js';
import { href } from '../route.js';
import type { Paged } from '../use-api.js';

/** The tab's title while this page is shown: what it shows, then "Cairn". */
export function useTitle(what: string | undefined): void {
  useEffect(() => {
    document.title = what ? `${what} · Cairn` : 'Cairn';
  }, [what]);
}

export function Loading() {
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  );
}

/** A failed call: what the server said; a key form when it wants a key. */
export function Failure({ error }: { error: ApiError }) {
  if (error.code === 'UNAUTHORIZED') return <KeyPrompt message={error.message} />;
  return (
    <div class="error" role="alert">
      <strong>{error.code}</strong> {error.message}
    </div>
  );
}

/** Asks for the server's API key; saving it reloads the page's data (KEY_CHANGED). */
export function KeyPrompt({ message }: { message: string }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="key-form"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(key.trim() || null);
      }}
    >
      <p class="error" role="alert">
        {message}
      </p>
      <label>
        API key{' '}
        <input
          type="password"
          name="apiKey"
          autocomplete="off"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
      </label>{' '}
      <button type="submit">Use key</button>
    </form>
  );
}

export function Chips({ values, kind }: { values: readonly string[]; kind: 'alias' | 'tag' }) {
  if (values.length === 0) return <span class="muted">none</span>;
  return (
    <span class="chips">
      {values.map((v) => (
        <span key={v} class={`chip ${kind}`}>
          {v}
        </span>
      ))}
    </span>
  );
}

/** `entity / a / b` with each step a link to its folder. */
export function Crumbs({
  entity,
  path,
  children,
}: {
  entity: string;
  path: string;
  children?: ComponentChildren;
}) {
  const segs = path ? path.split('/') : [];
  return (
    <nav class="crumbs" aria-label="folder">
      <a href={href({ view: 'home' })}>entities</a>
      <span class="sep">/</span>
      <a href={href({ view: 'folder', entity, path: '' })}>{entity}</a>
      {segs.map((s, i) => (
        <span key={i}>
          <span class="sep">/</span>
          <a href={href({ view: 'folder', entity, path: segs.slice(0, i + 1).join('/') })}>{s}</a>
        </span>
      ))}
      {children}
    </nav>
  );
}

/** The end of a paged list: loading, its error, or a button for the next page. */
export function PageEnd<T>({ list, label }: { list: Paged<T>; label: string }) {
  if (list.error) return <Failure error={list.error} />;
  if (list.loading) return <Loading />;
  if (!list.hasMore) return null;
  return (
    <button type="button" class="more" onClick={list.more}>
      More {label}
    </button>
  );
}

/** A small titled list ("none" when empty): the lineage and run pages' runs and artifacts. */
export function TitledList<T>({
  title,
  items,
  keyOf,
  item,
  children,
}: {
  title: string;
  items: readonly T[];
  keyOf: (t: T) => string;
  item: (t: T) => ComponentChildren;
  children?: ComponentChildren;
}) {
  return (
    <div>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul>
          {items.map((t) => (
            <li key={keyOf(t)}>{item(t)}</li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}

/** Label and value pairs, as a two-column grid. */
export function DetailList({ rows }: { rows: readonly [string, ComponentChildren][] }) {
  return (
    <dl class="details">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * One text field and its button. `submit` gets the trimmed text (never empty); the field is
 * cleared when it resolves to true.
 */
export function TextForm({
  name,
  label,
  button,
  submit,
  initial = '',
  placeholder,
  class: className,
  role,
}: {
  name: string;
  label: string;
  button: string;
  submit: (text: string) => boolean | void | Promise<boolean | void>;
  initial?: string;
  placeholder?: string;
  class?: string;
  role?: 'search';
}) {
  const [text, setText] = useState(initial);
  return (
    <form
      class={className}
      role={role}
      onSubmit={async (e) => {
        e.preventDefault();
        const t = text.trim();
        if (t && (await submit(t)) === true) setText('');
      }}
    >
      <input
        name={name}
        aria-label={label}
        placeholder={placeholder}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />{' '}
      <button type="submit">{button}</button>
    </form>
  );
}
