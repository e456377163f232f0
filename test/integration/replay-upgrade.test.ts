import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { NEXT_RULES_PATCH } from '../../harness/upgrade/runs';
import { applyPatch, copySources } from '../../harness/variants';

const histories = path.resolve(__dirname, '../fixtures/histories');
const PATCH = path.resolve(__dirname, '../../harness/upgrade/hold-v-next.patch');

/**
 * The chaos suite's rolling upgrade (`rolling-upgrade`) replaces the running service by a build whose hold workflow
 * has a `patched()` branch (harness/upgrade/hold-v-next.patch). The scenario shows that holds running during the
 * rollout replay on it; here every committed history, each path a hold and an order can take, replays on it too.
 */
describe('the hold workflow of the rolling upgrade’s new build', () => {
  let code = '';

  beforeAll(async () => {
    const dir = copySources('hold-v-next-replay');
    await applyPatch(dir, PATCH);
    ({ code } = await bundleWorkflowCode({
      workflowsPath: path.join(dir, 'src', 'workflows', 'index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    }));
  }, 180_000);

  test('is the patched workflow', () => {
    expect(code).toContain(NEXT_RULES_PATCH);
  });

  test.each(readdirSync(histories).filter((f) => f.endsWith('.json')))('%s replays on it', async (file) => {
    const history = JSON.parse(readFileSync(path.join(histories, file), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { code }, replayName: file }, history, file.replace('.json', '')),
    ).resolves.toBeUndefined();
  });
});
