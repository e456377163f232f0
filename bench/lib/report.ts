/** The run's report: targets and the printed table (lib/meta.ts: the machine and the code it ran on). */
import { failedChecks } from './checks';
import { resultTargets, type BesideFloor, type Target } from './result-targets';
import { run, type ScenarioResult } from './run-state';
import { settings } from './settings';
import { mean, round, sum, textTable } from './util';

const get = (id: string) => run.results.find((r) => r.id === id);

/** How both sides of a pair started, in a target's words. */
const FLOORS: Record<string, string> = { eager: 'both eager', update_with_start: 'both Update-with-Start' };

/** The service beside the floors started alike, and its hold rate as connections grow. */
function holdsTargets(besideFloor: BesideFloor[]): Target[] {
  const out: Target[] = [];
  for (const { start, connections, service_per_s: svc, floor_per_s: floor } of besideFloor) {
    if (!floor.length) continue;
    const ratio = mean(svc) / mean(floor);
    out.push({
      target: `service ÷ a floor started alike (${FLOORS[start]}, same in-flight bound), holds/s at ${connections} connections`,
      goal: '>= 0.9',
      measured: `${round(ratio, 2)} (service ${svc.join(', ')}/s; floor ${floor.join(', ')}/s)`,
      met: ratio >= 0.9,
    });
  }
  const eager = (connections: number) =>
    mean(besideFloor.find((x) => x.start === 'eager' && x.connections === connections)?.service_per_s ?? []);
  const at50 = eager(50);
  for (const connections of settings.connections.filter((c) => c > 50)) {
    const at = eager(connections);
    if (!Number.isNaN(at) && !Number.isNaN(at50)) {
      out.push({
        target: `service holds/s at ${connections} vs 50 connections`,
        goal: '>= 0.95',
        measured: `${round(at / at50, 2)} (${Math.round(at)}/s vs ${Math.round(at50)}/s)`,
        met: at / at50 >= 0.95,
      });
    }
  }
  return out;
}

/** The realistic sale: every unit held in time, no refused buyers, late buyers answered fast, first come first served. */
function saleTargets(): Target[] {
  const out: Target[] = [];
  const sale = get('svc-sale');
  if (sale) {
    const x = sale.extra as Record<string, unknown>;
    const held = x.every_unit_held_s as number | null;
    out.push({
      target: `realistic sale: every unit held`,
      goal: '<= 12 s',
      measured: held === null ? 'not every unit was held' : `${held} s`,
      met: held !== null && held <= 12,
    });
    const other = sum(Object.values(sale.unexpected_status)) + sale.errors;
    out.push({
      target: 'realistic sale: answers other than 201/400/429',
      goal: '0 (no 503, no timeout)',
      measured: `${other} (${JSON.stringify(x.answers_by_status)}, ${sale.errors} connection errors)`,
      met: other === 0,
    });
    out.push({
      target: 'realistic sale: late buyers’ p99',
      goal: '<= 100 ms',
      measured: `${x.late_answer_p99_ms} ms (p50 ${x.late_answer_p50_ms} ms, ${x.late_buyers} late buyers)`,
      met: Number(x.late_answer_p99_ms) <= 100,
    });
    if (typeof x.first_buyers_share === 'number')
      out.push({
        target: 'realistic sale: units to the first buyers (first N to ask, N = units)',
        goal: '>= 0.95',
        measured: `${x.first_buyers_share} (${x.first_buyers_won} of ${x.first_buyers})`,
        met: x.first_buyers_share >= 0.95,
      });
  }
  const floorSale = get('floor-sale');
  if (sale && floorSale) {
    const perPaid = (r: ScenarioResult) =>
      // The service's processes and its stores; not the bench's own load generator.
      sum(Object.entries(r.cpu_seconds ?? {}).flatMap(([k, s]) => (k === 'bench' ? [] : [s]))) /
      Math.max(Number(r.extra?.paid ?? 0), 1);
    const ratio = perPaid(sale) / perPaid(floorSale);
    out.push({
      target: 'realistic sale: CPU per paid unit ÷ the sale floor (all processes)',
      goal: '<= 1.2',
      measured: `${round(ratio, 2)} (${round(perPaid(sale) * 1000, 1)} ms vs ${round(perPaid(floorSale) * 1000, 1)} ms)`,
      met: ratio <= 1.2,
    });
  }
  return out;
}

/** Sold-out answers, the expiry storm and memory with many open holds. */
function capacityTargets(): Target[] {
  const out: Target[] = [];
  const so = get('svc-soldout-50');
  const plainSo = get('plain-soldout-50');
  if (so) {
    out.push({
      target: 'sold-out answers/s',
      goal: plainSo ? `>= 10 × plain (${10 * plainSo.ok_per_second}/s)` : '>= 20000/s',
      measured: `${so.ok_per_second}/s${plainSo ? ` = ${round(so.ok_per_second / plainSo.ok_per_second, 1)} × plain` : ''}`,
      met: plainSo ? so.ok_per_second >= 10 * plainSo.ok_per_second : so.ok_per_second >= 20_000,
    });
  }
  // The HTTP ceiling: the plain endpoint's cached read, the cheapest answer this machine gives.
  const reads = get('svc-reads');
  const plainReads = get('plain-reads');
  if (plainReads) {
    const ceiling = plainReads.ok_per_second;
    const ratioOf = (r: ScenarioResult, what: string, goal: number): Target => ({
      target: `${what} ÷ plain cached reads`,
      goal: `>= ${goal}`,
      measured: `${round(r.ok_per_second / ceiling, 2)} (${r.ok_per_second}/s vs ${ceiling}/s)`,
      met: r.ok_per_second / ceiling >= goal,
    });
    if (reads) out.push(ratioOf(reads, 'cached product reads', 1));
    if (so) out.push(ratioOf(so, 'sold-out answers', 0.7));
  }
  const storm = get('svc-storm');
  if (storm) {
    const span = storm.extra?.first_expiry_to_last_release_s as number | null;
    out.push({
      target: `expiry storm (${storm.extra?.holds_started} holds) fully released`,
      goal: '<= 30 s',
      measured: span === null ? `not all released (${storm.extra?.still_open} open)` : `${span} s`,
      met: span !== null && span <= 30 ? (settings.storm >= 10_000 ? true : null) : false,
    });
  }
  const open = get('svc-holds-50-open');
  if (open) {
    // With eager start the API's hold worker caches the holds it started: the larger of the two processes counts.
    const { worker = 0, api = 0 } = (open.extra?.rss_mib_open as { worker?: number; api?: number }) ?? {};
    const rss = Math.max(worker, api);
    out.push({
      target: `${open.extra?.open_holds} open holds: RSS of the processes running holds`,
      goal: '< 1024 MiB at 100000 open holds',
      measured: `API ${round(api)} MiB, worker ${round(worker)} MiB; holds p99 ${open.p99_ms} ms while open`,
      met: rss < 1024 ? (Number(open.extra?.open_holds) >= 100_000 ? true : null) : false,
    });
  }
  return out;
}

/** `besideFloor`: the run's holds beside their floors (scenarios/holds.ts `holdsSummary`). */
export function evaluateTargets(besideFloor: BesideFloor[] = []): Target[] {
  const out: Target[] = [
    ...holdsTargets(besideFloor),
    ...saleTargets(),
    ...resultTargets(run.results, besideFloor),
    ...capacityTargets(),
  ];
  const bad = failedChecks();
  out.push({
    target: 'zero oversell, zero lost holds (by id)',
    goal: 'every scenario',
    measured: bad.length ? `FAILED in ${bad.map((b) => b.scenario).join(', ')}` : `0 in ${run.checks.length} checks`,
    met: bad.length === 0,
  });
  return out;
}

export function printTable(rows: ScenarioResult[], limit: number, targets: Target[], sideBySide: BesideFloor[] = []) {
  const head = ['scenario', 'conns', 'ok/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/ok (api+worker+temporal)', 'lost'];
  const cpu = (c: Record<string, number> = {}) =>
    ['api', 'plain', 'api+worker', 'worker', 'temporal']
      .filter((k) => c[k] !== undefined)
      .map((k) => c[k])
      .join(' + ');
  const body = rows.map((r) => [
    r.title,
    String(r.connections),
    String(r.ok_per_second),
    r.p50_ms === null ? '' : String(r.p50_ms),
    r.p99_ms === null ? '' : String(r.p99_ms),
    String(r.errors + sum(Object.values(r.unexpected_status))),
    cpu(r.cpu_ms_per_ok),
    r.lost_holds === undefined ? '' : String(r.lost_holds),
  ]);
  process.stdout.write(`\n${textTable(head, body, true)}\n`);
  if (limit) process.stdout.write(`\nPhysical limit (raw hot-row transaction): ${limit}/s\n`);
  if (sideBySide.length) {
    process.stdout.write('\nHolds side by side (holds/s of each round):\n');
    for (const x of sideBySide) {
      process.stdout.write(
        `  ${x.start.padEnd(17)} ${String(x.connections).padStart(4)} connections: service ${x.service_per_s.join(', ') || '-'}; ` +
          `floor ${x.floor_per_s.join(', ') || '-'}; plain ${x.plain_per_s.join(', ') || '-'}; raw SQL ${limit || '-'}` +
          ` → service ÷ floor ${x.service_over_floor ?? '-'}, service ÷ plain ${x.service_over_plain ?? '-'}\n`,
      );
    }
  }
  process.stdout.write('\nTargets:\n');
  for (const t of targets) {
    const mark = t.met === true ? 'MET ' : t.met === false ? 'MISS' : 'n/a ';
    process.stdout.write(`  [${mark}] ${t.target}: ${t.measured} (goal ${t.goal})\n`);
  }
}
