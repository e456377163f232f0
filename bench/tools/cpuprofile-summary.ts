/**
 * Prints the summary of each `node --cpu-prof` profile given (bench/lib/cpu-profile.ts), e.g.
 *
 *   node --import tsx bench/tools/cpuprofile-summary.ts .run/bench/profiles/service-api/*.cpuprofile
 */
import { summariseProfile } from '../lib/cpu-profile';

for (const file of process.argv.slice(2)) process.stdout.write(`${summariseProfile(file)}\n`);
