/**
 * Prints the summary of each `node --cpu-prof` profile given (bench/lib/cpu-profile.ts), or, with `--into FILE DIR`,
 * summarises a run's profile folder into FILE again, keeping FILE's header (the run it came from):
 *
 *   node --import tsx bench/tools/cpuprofile-summary.ts .run/bench/profiles/service-api/*.cpuprofile
 *   node --import tsx bench/tools/cpuprofile-summary.ts --into bench/results/NAME-profiles.txt .run/bench/profiles
 */
import { existsSync, readFileSync } from 'node:fs';
import { summariseProfile, writeProfileSummaries } from '../lib/cpu-profile';

const [first, ...rest] = process.argv.slice(2);
if (first === '--into') {
  const [file, dir] = rest;
  const header = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('# '))
        .join('\n')
    : '# CPU profiles (self time)';
  writeProfileSummaries(dir, file, header);
} else {
  for (const file of [first, ...rest].filter(Boolean)) process.stdout.write(`${summariseProfile(file)}\n`);
}
