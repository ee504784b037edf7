import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload); the last answer wins. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (data) => live && setState({ data }),
      (error: ApiError) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, reload };
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
      (err: ApiError) => {
        if (gen !== generation.current) return;
        setError(err);
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
    more: () => fetchPage(cursor, false),
  };
}
