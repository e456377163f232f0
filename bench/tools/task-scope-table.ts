/**
 * The `hold-worker-scope` table of docs/performance.md: which process ran which tasks (bench/lib/task-scope.ts), in
 * the sale (per paid unit: the hold's and the order's workflows) and in the expiry storm (per expired hold).
 */
import { table, type Dict } from './table-format';

type Scope = Record<string, Record<string, number>>;

const PROCESSES = ['api', 'worker', 'other'];
const LABEL: Record<string, string> = { api: 'API (its hold worker)', worker: 'worker process', other: 'other' };

export function taskScopeTable(results: Dict[]): string[] {
  const sources: [string, Scope | undefined][] = [
    [
      'sale, per paid unit',
      results.find((x) => x.id === 'svc-sale')?.extra?.temporal_work_per_paid_unit?.tasks_by_process,
    ],
    ['expiry storm, per hold', results.find((x) => x.id === 'svc-storm')?.extra?.tasks_by_process_per_hold],
  ];
  const rows: unknown[][] = [];
  for (const [where, scope] of sources) {
    if (!scope) continue;
    const present = PROCESSES.filter((p) => scope[p]);
    const kinds = [...new Set(present.flatMap((p) => Object.keys(scope[p])))].sort();
    for (const kind of kinds)
      rows.push([where, kind, ...PROCESSES.map((p) => scope[p]?.[kind] ?? (present.includes(p) ? 0 : ''))]);
  }
  if (!rows.length) return ['_(no count of tasks by process in this run)_'];
  return table(['scenario', 'task', ...PROCESSES.map((p) => LABEL[p])], rows, ['l', 'l', 'r', 'r', 'r']);
}
