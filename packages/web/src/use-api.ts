import { useEffect, useRef, useState } from 'preact/hooks';
import { toApiError, type ApiError } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
}

/** Runs `load` when `deps` change; an answer for deps since replaced is dropped. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined });
  useEffect(() => {
    let live = true;
    setState({ data: undefined, error: undefined });
    load().then(
      (data) => live && setState({ data, error: undefined }),
      (err: unknown) => live && setState({ data: undefined, error: toApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

export interface PageOf<T> {
  items: T[];
  nextCursor?: string;
}

export interface Paged<T> {
  items: T[];
  error: ApiError | undefined;
  loading: boolean;
  hasMore: boolean;
  /** Loaded without error, and nothing in it. */
  empty: boolean;
  more: () => void;
}

/** A list read a page at a time; `more` appends the next page. Restarts when `deps` change. */
export function usePages<T>(
  loadPage: (cursor: string | undefined) => Promise<PageOf<T>>,
  deps: unknown[],
): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  // Answers for a list that was since restarted (deps changed) are dropped.
  const generation = useRef(0);

  const fetchPage = (after: string | undefined, reset: boolean): void => {
    const gen = generation.current;
    setLoading(true);
    loadPage(after).then(
      (page) => {
        if (gen !== generation.current) return;
        setItems((old) => (reset ? page.items : [...old, ...page.items]));
        setCursor(page.nextCursor);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(toApiError(err));
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    generation.current++;
    setItems([]);
    setCursor(undefined);
    fetchPage(undefined, true);
  }, deps);
  return {
    items,
    error,
    loading,
    hasMore: cursor !== undefined,
    empty: !loading && error === undefined && items.length === 0,
    more: () => fetchPage(cursor, false),
  };
}
