import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../src/telemetry';

/**
 * The service's workflows bundled once per test run, for every test file: written under `.run/` and named in
 * TEST_WORKFLOW_BUNDLE, which the tests' workers load instead of bundling again.
 */
export async function bundleWorkflowsForTests(tag: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const dir = path.resolve(__dirname, '../.run');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${tag}-workflow-bundle-${process.pid}.js`);
  writeFileSync(file, code);
  process.env.TEST_WORKFLOW_BUNDLE = file;
  return file;
}
