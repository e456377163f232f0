import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summariseProfile, writeProfileSummaries } from './cpu-profile';

/** The bench's summary of a `node --cpu-prof` profile, on a small made-up one. */
describe('CPU profile summaries', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cpu-profile-'));
  const frame = (id: number, functionName: string, url: string) => ({
    id,
    callFrame: { functionName, url, lineNumber: 0 },
  });
  const profile = {
    nodes: [
      frame(1, '(idle)', ''),
      frame(2, 'activate', 'file:///app/node_modules/@temporalio/worker/lib/worker.js'),
      frame(3, '(garbage collector)', ''),
      frame(4, 'route', 'file:///app/dist/api/routes/holds.js'),
    ],
    samples: [1, 2, 2, 3, 4],
    timeDeltas: [500, 200, 100, 100, 100],
  };
  mkdirSync(path.join(dir, 'service-api'), { recursive: true });
  const file = path.join(dir, 'service-api', 'CPU.20261207.042658.12598.1.002.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));

  test('self time by layer, as shares of the busy time (idle left out), with the thread named', () => {
    const text = summariseProfile(file);
    expect(text).toContain('(worker thread 1)');
    expect(text).toContain('busy 0.0 s of wall time ( 50.0%)');
    expect(text).toMatch(/ 60\.0% Temporal SDK/);
    expect(text).toMatch(/ 20\.0% garbage collection/);
    expect(text).toMatch(/ 20\.0% the code under test/);
  });

  test("a run's summaries, each under its process's name", () => {
    const out = path.join(dir, 'summaries.txt');
    writeProfileSummaries(dir, out, '# header');
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# header\n\n## service-api\nCPU.20261207.042658.12598.1.002.cpuprofile')).toBe(true);
  });
});
