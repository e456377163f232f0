import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * The chaos tables of the README and docs/reliability.md are generated from the committed chaos/results/latest.json
 * (`npm run chaos:report`): a table typed by hand, or a result file committed without regenerating, fails here.
 */
describe('generated chaos tables', () => {
  it('match the committed chaos results', () => {
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'chaos/report.ts', '--check'], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(run).not.toThrow();
  });
});
