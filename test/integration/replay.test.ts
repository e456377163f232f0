import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporalWorkerTracing } from '../../src/telemetry';

const dir = path.resolve(__dirname, '../fixtures/histories');
const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));

/** Today's holds (test/fixtures/record-histories.ts): started eagerly on the API's hold worker, every path. */
const EAGER_HOLDS = ['expired', 'extended', 'released', 'rejected', 'ordered'].map((p) => `hold-v2-eager-${p}.json`);
/** The workflows of today's orders (same recorder): paid, unpaid past the timeout, paid late (refund due). */
const EAGER_ORDERS = ['paid', 'timed-out', 'late-refund'].map((p) => `order-eager-${p}.json`);
/** Earlier recordings, which holds and orders started by earlier code still replay. */
const EARLIER = [
  // holdWorkflowV2 started with Update-with-Start (the fallback when eager start is not possible).
  'hold-v2-expired.json',
  'hold-v2-ordered.json',
  'hold-v2-rejected.json',
  'hold-v2-released.json',
  // With outbound events (test/fixtures/record-order-life.ts).
  'hold-v2-events-ordered.json',
  'order-events-timed-out.json',
  'order-late-refund.json',
  // The order's workflow as first recorded, without events.
  'order-paid.json',
  'order-timed-out.json',
];

/**
 * Recorded histories of every path a hold and an order can take, replayed against today's workflow code: a change
 * that would break running holds (non-determinism) fails here. A breaking change to a shipped type needs patched()
 * or a new workflow type (docs/development.md, "Workflow versions").
 */
describe('workflow replay', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test('there are recorded histories for each path', () => {
    expect(files.sort()).toEqual(expect.arrayContaining([...EAGER_HOLDS, ...EAGER_ORDERS, ...EARLIER].sort()));
  });

  test.each(EAGER_HOLDS)('%s was started eagerly: its reservation answered in-process, not by an update', (file) => {
    const updates = read(file).events.flatMap(
      (e: any) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? [],
    );
    expect(updates).not.toContain('reserve');
  });

  test.each(files)('%s replays deterministically', async (file) => {
    const workflowBundle = { code: readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8') };
    await expect(
      Worker.runReplayHistory(
        { workflowBundle, replayName: file, sinks: temporalWorkerTracing().sinks },
        read(file),
        file.replace('.json', ''),
      ),
    ).resolves.toBeUndefined();
  });
});
