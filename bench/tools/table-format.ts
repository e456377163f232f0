/** The cells and tables of the generated docs tables, and the result file's shape they read. */
export type Dict = Record<string, any>;
export interface Report {
  meta: Dict;
  results: Dict[];
  targets?: Dict[];
  holds_beside_floor?: Dict[];
  summary?: Dict;
}

export const cell = (v: unknown) => (v === null || v === undefined || Number.isNaN(v) ? '' : String(v));
export const seconds = (v: unknown, otherwise: string) => (typeof v === 'number' ? `${v} s` : otherwise);
export const ms = (v: unknown) => (typeof v === 'number' ? `${v} ms` : '');
export const table = (head: string[], rows: unknown[][], align: ('l' | 'r')[] = []) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((_, i) => ((align[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
];
export const errorsOf = (r: Dict) =>
  r.errors + Object.values((r.unexpected_status ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
export const cpu = (r: Dict, keys: string[]) => keys.map((k) => cell(r.cpu_ms_per_ok?.[k])).join(' / ');

export const ordinal = (n: number) => `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;
