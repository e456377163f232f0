import { runtimeWarnings } from '../../src/runtime';

describe('runtimeWarnings', () => {
  it('warns on Node.js 22 started without AsyncContextFrame', () => {
    expect(runtimeWarnings('22.23.5', [], '')).toEqual([
      expect.stringContaining('Node.js 22.23.5 without --experimental-async-context-frame'),
    ]);
    expect(runtimeWarnings('22.23.5', [], '--max-old-space-size=4096')).toHaveLength(1);
  });

  it('is quiet when the flag is on the command line or in NODE_OPTIONS, and on Node.js 24, where it is the default', () => {
    expect(runtimeWarnings('22.23.5', ['--experimental-async-context-frame'], '')).toEqual([]);
    expect(runtimeWarnings('22.23.5', [], '--inspect --experimental-async-context-frame')).toEqual([]);
    expect(runtimeWarnings('24.22.3', [], '')).toEqual([]);
  });

  it('sees the flag this test process was started with', () => {
    const flagged = process.env.NODE_OPTIONS?.includes('--experimental-async-context-frame') ?? false;
    const major = Number(process.versions.node.split('.')[0]);
    expect(runtimeWarnings()).toHaveLength(!flagged && major === 22 ? 1 : 0);
  });
});
