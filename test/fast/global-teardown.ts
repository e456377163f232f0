import { rmSync } from 'node:fs';

/** Removes the bundle this run's set-up wrote (test/fast/global-setup.ts); a bundle from `npm test` is not ours. */
export default async function globalTeardown() {
  const bundle = process.env.TEST_WORKFLOW_BUNDLE;
  if (bundle?.includes('fast-workflow-bundle-')) rmSync(bundle, { force: true });
}
