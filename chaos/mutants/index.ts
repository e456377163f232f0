/**
 * Planted mutants: broken builds of the service, each a small `git diff` against src/ in this directory. The chaos
 * suite (`npm run chaos -- --mutants`) builds each one (harness/variants.ts), runs the scenario named here on it, and
 * passes only when that scenario reports a violation from the expected check: a mutant that survives means the
 * oracle has a blind spot. Production code carries no switch for any of them.
 */
export interface Mutant {
  name: string;
  /** What the broken build gets wrong, for the report. */
  what: string;
  /** The unified diff against src/ (relative to the repository's root). */
  patch: string;
  /** The chaos scenario that must catch it (chaos/scenarios). */
  scenario: string;
  /** The check expected to fire (named as in harness/checker/checker.ts), and the violation text it reports. */
  check: string;
  violation: RegExp;
}

/** Each mutant's patch is chaos/mutants/<name>.patch. */
const withPatch = (m: Omit<Mutant, 'patch'>): Mutant => ({ ...m, patch: `chaos/mutants/${m.name}.patch` });

export const MUTANTS: Mutant[] = [
  {
    name: 'expiry-keeps-stock',
    what: "A hold's expiry marks it released but gives its stock back to nobody",
    scenario: 'baseline',
    check: 'conservation',
    violation: /conservation broken/,
  },
  {
    name: 'release-twice',
    what: 'A release is not conditional on the hold being unreleased: a retried release gives the stock back twice',
    scenario: 'release-kill-after-commit',
    check: 'conservation',
    violation: /conservation broken/,
  },
  {
    name: 'order-after-expiry',
    what: 'An order is refused for a released or ordered hold, but no longer for an expired one',
    scenario: 'expiry-race',
    check: 'hold rules (ordered before expiry)',
    violation: /ordered at .*, at\/after expiry/,
  },
  {
    name: 'failed-payment-keeps-stock',
    what: "A failed payment cancels the order but leaves its hold's stock taken",
    scenario: 'payment-outcomes',
    check: 'hold rules (a cancelled order gives its stock back)',
    violation: /cancelled but the stock was not given back/,
  },
  {
    name: 'created-before-commit',
    what: "The reservation's transaction rolls back after taking the stock, and the buyer is answered 201 all the same",
    scenario: 'baseline',
    check: 'answers kept (every 201 exists)',
    violation: /answered 201 but does not exist/,
  },
].map(withPatch);

/** Caught: some violation of the scenario's run is the expected check's. */
export function caughtBy(m: Mutant, violations: string[]): string | undefined {
  return violations.find((v) => m.violation.test(v));
}
