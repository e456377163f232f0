import type { InvariantChecker } from '../../../harness/checker/checker';

/** What an invariant checker reports now, one violation a line ('' when none). */
export const violationsOf = async (checker: InvariantChecker) => (await checker.check()).violations.join('\n');

export async function expectNoViolation(checker: InvariantChecker) {
  expect((await checker.check()).violations).toEqual([]);
}
