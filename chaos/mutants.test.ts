import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { caughtBy, MUTANTS } from './mutants';
import { scenarios } from './scenarios';
import { applyPatch, copySources } from '../harness/variants';

/**
 * The planted mutants of the chaos suite (chaos/mutants): every patch still applies to the current src/ (a refactor
 * that breaks one fails here, not only in `npm run chaos -- --mutants`), and names a scenario that exists.
 */
const root = path.resolve(__dirname, '..');
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mutants-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('planted mutants', () => {
  it.each(MUTANTS.map((m) => [m.name, m] as const))('%s applies cleanly to src/', async (_name, m) => {
    const file = path.join(root, m.patch);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/^diff --git a\/src\//);
    const dir = copySources(m.name, scratch);
    await expect(applyPatch(dir, file, true)).resolves.toBeUndefined();
  });

  it('a patch that does not apply is reported, naming the patch', async () => {
    const dir = copySources('broken', scratch);
    rmSync(path.join(dir, 'src', 'db', 'transitions.ts'));
    const m = MUTANTS.find((x) => x.patch.endsWith('release-twice.patch'))!;
    await expect(applyPatch(dir, path.join(root, m.patch), true)).rejects.toThrow(
      /release-twice\.patch does not apply/,
    );
  });

  it('each names a scenario of the suite, and is caught only by its own check', () => {
    const names = new Set(scenarios({ soakSeconds: 75, smoke: true }).map((s) => s.name));
    for (const m of MUTANTS) expect(names).toContain(m.scenario);
    expect(new Set(MUTANTS.map((m) => m.name)).size).toBe(MUTANTS.length);
    const failed = MUTANTS.find((m) => m.name === 'failed-payment-keeps-stock')!;
    expect(caughtBy(failed, ['hold 3: order 9 cancelled but the stock was not given back'])).toBeDefined();
    expect(caughtBy(failed, ['product 1: conservation broken: available 3 + held 1 != put in 5'])).toBeUndefined();
  });
});
