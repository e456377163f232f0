import { randomUUID } from 'node:crypto';
import { compileService, launchService } from '../../harness/service';
import { waitFor } from '../../harness/wait';

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

  test('the API drains keep-alive clients that never pause (each answer then closes its connection), and exits 0', async () => {
    const api = launch('api/main.js', { PORT: '0' });
    const listening = await waitFor('api to listen', () => api.logged('api listening'), 30_000);
    const url = `http://127.0.0.1:${listening!.port as number}/health`;
    // Clients reusing their connections (fetch keeps them alive) request after request, until the API stops answering.
    let answered = 0;
    const clients = Array.from({ length: 30 }, async () => {
      for (;;) {
        const res = await fetch(url).catch(() => null);
        if (!res) return;
        await res.arrayBuffer();
        answered++;
      }
    });
    await waitFor('the clients to be answered', () => answered > 100, 20_000);
    api.child.kill('SIGTERM');
    // Without the drain closing busy connections, the API answers them for ever and never exits (the test times out).
    expect(await api.exited).toBe(0);
    await Promise.all(clients);
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
