/**
 * Summaries of `node --cpu-prof` profiles (`npm run bench -- --profile`): the busy share of the thread and the
 * layers, packages/files and functions that took its time (self time). `bench/tools/cpuprofile-summary.ts` prints
 * them for any profile; a profiled run writes them beside its result file.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string, fn: string): string {
  if (!url) return `(${fn || 'native'})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.split('/').slice(-2).join('/');
}

/** What a profile's time is spent on, in the words of the performance page: the first layer whose pattern matches. */
const LAYERS: [RegExp, string][] = [
  // A workflow activation runs inside the sandbox: V8's vm context, the bundle of workflow code and the SDK's part.
  [/^\(runInContext\)$|^evalmachine|workflow-bundle-/, 'workflow sandbox (workflow code and the SDK inside it)'],
  [/^@temporalio\/|^(rxjs|protobufjs|long|@grpc\/|ms)$/, 'Temporal SDK (and its rxjs, protobufjs)'],
  [/^(webpack$|swc|@swc\/)/, 'bundling the workflows (start)'],
  [/^node:internal\/modules/, 'loading modules (start)'],
  [/^\(\(garbage collector\)\)$/, 'garbage collection'],
  [/^\((writev|writeUtf8String|writeBuffer|writeLatin1String|shutdown)\)$/, 'Node I/O (HTTP, sockets, stream writes)'],
  [/^node:(_http|http|net|stream|internal\/(http|streams|net|stream_base))/, 'Node I/O (HTTP, sockets, stream writes)'],
  [/^node:/, 'Node, other'],
  [/^(koa|@koa\/|koa-)/, 'Koa'],
  [/^(sequelize|mysql2)$/, 'database client (Sequelize, mysql2)'],
  [/^(ioredis|redis-parser)$/, 'Redis client'],
  [/^(dist|src|bench)\/|\.ts/, 'the code under test (service or floor)'],
  [/^\(/, 'V8 and native, other'],
];
const layer = (place: string) => LAYERS.find(([re]) => re.test(place))?.[1] ?? 'other packages';

/** One profile's summary: how busy its thread was, and its self time by layer, by place and by function. */
export function summariseProfile(file: string): string {
  const out: string[] = [];
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byPlace = new Map<string, number>();
  const byLayer = new Map<string, number>();
  const byFn = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const place = where(url, functionName).slice(0, 60);
    const inLayer = layer(place);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    byLayer.set(inLayer, (byLayer.get(inLayer) ?? 0) + us);
    const name = (functionName || '(anonymous)').slice(0, 60);
    const fn = `${name} ${place.slice(0, 60)}${lineNumber >= 0 ? `:${lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  }
  const pct = (us: number, of = total - idle) => `${((us / of) * 100).toFixed(1).padStart(5)}%`;
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main one, others are worker threads (the SDK
  // runs workflow activations in them).
  const thread = Number(path.basename(file).split('.')[4]);
  const busy = total - idle;
  out.push(
    path.basename(file) + (Number.isNaN(thread) ? '' : thread === 0 ? ' (main thread)' : ` (worker thread ${thread})`),
    // Samples are wall time: on a loaded machine a busy thread's seconds include its waits for a core (the process's
    // CPU is the result file's cpu_seconds, read from /proc).
    `  ${(total / 1e6).toFixed(1)} s profiled, busy ${(busy / 1e6).toFixed(1)} s of wall time (${pct(busy, total)}); shares of the busy time:`,
  );
  for (const [what, m, n] of [
    ['layer', byLayer, 12],
    ['place', byPlace, 15],
    ['function', byFn, 15],
  ] as const) {
    out.push(`  by ${what}:`, ...top(m, n).map(([k, v]) => `  ${pct(v)} ${k}`));
  }
  return out.join('\n');
}

/** Every profile of a run (`dir/<process>/*.cpuprofile`) summarised into one text file, under its process's name. */
export function writeProfileSummaries(dir: string, file: string, header: string): void {
  if (!existsSync(dir)) return;
  const parts = [header];
  for (const proc of readdirSync(dir).sort()) {
    const profiles = readdirSync(path.join(dir, proc)).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of profiles.sort()) parts.push(`## ${proc}\n${summariseProfile(path.join(dir, proc, f))}`);
  }
  writeFileSync(file, `${parts.join('\n\n')}\n`);
}
