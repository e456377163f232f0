import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/telemetry';

/** Once per run: the workflows bundled for every test file (the full suite's own set-up does the same). */
export default async function globalSetup() {
  if (process.env.TEST_WORKFLOW_BUNDLE) return;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const dir = path.resolve(__dirname, '../../.run');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fast-workflow-bundle-${process.pid}.js`);
  writeFileSync(file, code);
  process.env.TEST_WORKFLOW_BUNDLE = file;
}
