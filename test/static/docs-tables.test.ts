import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Every table of docs/performance.md and docs/scaling.md is generated from a committed bench result file
 * (`npm run bench:docs`): a table typed by hand, or a result file changed without regenerating, fails here.
 */
describe('generated docs tables', () => {
  it('match the committed result files', () => {
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'bench/tools/docs-tables.ts', '--check'], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(run).not.toThrow();
  });
});
