import { bundleWorkflowsForTests } from '../../harness/workflow-bundle';

/** Once per run: the workflows bundled for every test file (the full suite's own set-up does the same). */
export default async function globalSetup() {
  if (process.env.TEST_WORKFLOW_BUNDLE) return;
  await bundleWorkflowsForTests('fast');
}
