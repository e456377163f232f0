import { randomUUID } from 'node:crypto';
import { compileService, launchService } from '../harness/service';
import { waitFor } from '../harness/wait';

let build: { outDir: string; remove: () => void };
beforeAll(async () => {
  build = await compileService('shutdown');
}, 200_000);
afterAll(() => build?.remove());

/** Runs a compiled entry point as its own process and collects its JSON log lines. */
const launch = (entry: string, env: Record<string, string>) =>
  launchService(build.outDir, entry, { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env });

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
      PURGE_SCHEDULE_ID: `shutdown-purge-${randomUUID()}`,
      WORKER_METRICS_ADDRESS: '',
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE!,
    });
    await waitFor('worker to run', () => worker.logged('worker running'), 60_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.logged('worker stopped')).toBeDefined();
  });
});
