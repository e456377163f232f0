import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The flags of scripts/temporal-dev-server*.flags, which every dev server of the project starts with. */
export function devServerFlags(file: 'memory' | 'file'): string[] {
  const read = (name: string) =>
    readFileSync(path.resolve(__dirname, '../../scripts', name), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
  return [...read('temporal-dev-server.flags'), ...(file === 'file' ? read('temporal-dev-server-file.flags') : [])];
}
