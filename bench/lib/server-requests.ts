/**
 * What the Temporal server did, by its own count: the Prometheus counters of a dev server the bench started
 * (`--metrics-port`), read before and after a scenario. The server is a Go process, out of reach of Node's CPU
 * profiles; its counters say which persistence writes and internal requests a sold unit cost it.
 */
import { round } from './util';

/** `persistence <operation>` and `rpc <service> <operation>` → requests since the server started. */
export type ServerCounts = Record<string, number>;

const LINE = /^(persistence_requests|service_requests)\{([^}]*)\} (\S+)$/;
const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1] ?? '?';

/** The counters of one scrape of the server's `/metrics` text, summed over namespaces. */
export function parseServerCounts(text: string): ServerCounts {
  const counts: ServerCounts = {};
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const key =
      m[1] === 'persistence_requests'
        ? `persistence ${label(m[2], 'operation')}`
        : `rpc ${label(m[2], 'service_name')} ${label(m[2], 'operation')}`;
    counts[key] = (counts[key] ?? 0) + Number(m[3]);
  }
  return counts;
}

async function scrape(url: string): Promise<ServerCounts> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return parseServerCounts(await res.text());
}

/**
 * Requests per unit between `before` and `after`, each operation that moved, largest first, with the totals of
 * each kind (`persistence (all)`, `rpc (all)`).
 */
export function perUnit(before: ServerCounts, after: ServerCounts, units: number): Record<string, number> {
  const moved = Object.entries(after)
    .map(([k, n]) => [k, (n - (before[k] ?? 0)) / units] as const)
    .filter(([, n]) => n > 0);
  const sum = (kind: string) => moved.filter(([k]) => k.startsWith(kind)).reduce((a, [, n]) => a + n, 0);
  return Object.fromEntries([
    ['persistence (all)', round(sum('persistence '), 2)],
    ['rpc (all)', round(sum('rpc '), 2)],
    ...[...moved].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n, 2)]),
  ]);
}

/** Starts counting at once; `perUnit(units)` is null when the run has no server of its own (or it did not answer). */
export function countServerRequests(url: string | null) {
  if (!url) return { perUnit: async (_units: number): Promise<Record<string, number> | null> => null };
  const before = scrape(url).catch(() => null);
  return {
    perUnit: async (units: number) => {
      const first = await before;
      if (!first || units <= 0) return null;
      const last = await scrape(url).catch(() => null);
      return last && perUnit(first, last, units);
    },
  };
}
