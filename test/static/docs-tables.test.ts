import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const checks = (script: string) => () =>
  execFileSync(process.execPath, ['--import', 'tsx', script, '--check'], {
    cwd: root,
    encoding: 'utf8',
    stdio: 'pipe',
  });

/**
 * Every table of docs/performance.md and docs/scaling.md is generated from a committed bench result file
 * (`npm run bench:docs`), and the chaos tables of the README and docs/reliability.md from chaos/results/latest.json
 * (`npm run chaos:report`): a table typed by hand, or a result file changed without regenerating, fails here.
 */
describe('generated docs tables', () => {
  it('match the committed bench result files', () => {
    expect(checks('bench/tools/docs-tables.ts')).not.toThrow();
  });

  it('match the committed chaos results', () => {
    expect(checks('chaos/report.ts')).not.toThrow();
  });
});
