import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

const dir = path.resolve(__dirname, '../fixtures/histories');

/**
 * Recorded histories of every path a hold and an order can take, replayed against today's workflow code:
 * a change that would break running holds (non-determinism) fails here. `hold-v2-*.json` are holdWorkflowV2's
 * (test/fixtures/record-histories.ts records them). A breaking change to a shipped type needs patched() or a new
 * workflow type (docs/development.md, "Workflow versions").
 */
describe('workflow replay', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test('there are recorded histories for each path', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining([
        'hold-v2-expired.json',
        'hold-v2-ordered.json',
        'hold-v2-rejected.json',
        'hold-v2-released.json',
        'order-paid.json',
        'order-events-timed-out.json',
        'order-late-refund.json',
        'hold-v2-events-ordered.json',
        'order-timed-out.json',
      ]),
    );
  });

  test.each(files)('%s replays deterministically', async (file) => {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const workflowBundle = { code: readFileSync(process.env.TEST_WORKFLOW_BUNDLE!, 'utf8') };
    await expect(
      Worker.runReplayHistory({ workflowBundle, replayName: file }, history, file.replace('.json', '')),
    ).resolves.toBeUndefined();
  });
});
