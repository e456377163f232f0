import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../helpers/wait';

const root = path.resolve(__dirname, '../..');
// Inside the repository, so the compiled processes resolve node_modules.
const outDir = path.join(root, '.run', `shutdown-build-${process.pid}`);

beforeAll(async () => {
  await promisify(execFile)(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: root, timeout: 180_000 },
  );
}, 200_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Runs a compiled entry point as its own process and collects its JSON log lines. */
function launch(entry: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [path.join(outDir, entry)], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p));
      } catch {
        // not a log line
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, logged: (msg: string) => lines.find((l) => l.msg === msg) };
}

describe('graceful shutdown on SIGTERM', () => {
  test('the API stops listening, closes its connections and exits 0', async () => {
    const api = launch('api/main.js', { PORT: '0' });
    const listening = await waitFor('api to listen', () => api.logged('api listening'), 30_000);
    const port = listening!.port as number;
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.logged('shutting down')).toMatchObject({ signal: 'SIGTERM' });
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  test('the worker drains and exits 0', async () => {
    const worker = launch('worker/main.js', {
      TASK_QUEUE: `shutdown-${randomUUID()}`,
      SWEEP_SCHEDULE_ID: `shutdown-${randomUUID()}`,
      WORKER_METRICS_ADDRESS: '',
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE!,
    });
    await waitFor('worker to run', () => worker.logged('worker running'), 60_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.logged('worker stopped')).toBeDefined();
  });
});
