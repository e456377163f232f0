import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * `node dist/cli/bundle-workflows.js [out-file]`: bundles the workflow code once, at image build time,
 * so a worker started with WORKFLOW_BUNDLE_PATH skips webpack at start-up. Without the OpenTelemetry workflow
 * interceptors: a worker with tracing on bundles its own at start (worker/worker.ts workflowBundleOf).
 */
async function main(outFile = 'dist/workflow-bundle.js') {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const target = path.resolve(outFile);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, code);
  process.stdout.write(`workflow bundle written to ${target} (${code.length} bytes)\n`);
}

main(process.argv[2]).catch((err: Error) => {
  process.stderr.write(`bundling workflows failed: ${err.message}\n`);
  process.exit(1);
});
