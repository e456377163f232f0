/**
 * Clean-ups a test registers as it opens things (connections, servers, stacks), run after that test in the order
 * given, whether it passed or failed: the test needs no try/finally. Call once, at the top level of a test file.
 */
export function cleanupAfterEach(): (cleanUp: () => unknown) => void {
  const pending: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanUp of pending.splice(0)) await cleanUp();
  });
  return (cleanUp) => {
    pending.push(cleanUp);
  };
}
