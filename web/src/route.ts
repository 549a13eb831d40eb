export interface Route {
  main: HTMLElement;
  /** The route's captured path parts, decoded. */
  params: string[];
  query: URLSearchParams;
  /** Aborted when the reader leaves the page. */
  signal: AbortSignal;
}

/** Navigates to a hash route with a query built from non-empty values. */
export function go(path: string, query?: Record<string, string | number | undefined | null>): void {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "" && v !== 0 && v !== "0") params.set(k, String(v));
  }
  const qs = params.toString();
  window.location.hash = `#${path}${qs ? `?${qs}` : ""}`;
}
