import { loadConfig } from '../../src/config';
import { IDEMPOTENCY_KEY_TTL_HOURS, purgeCutoffs } from '../../src/shared/retention';

const HOUR_MS = 3_600_000;

describe('purge cut-offs', () => {
  const now = new Date('2026-12-05T12:00:00.000Z');

  test('keys go after their 24 h, delivered events and closed records after their own days', () => {
    const c = purgeCutoffs(now, { retentionDays: 120, deliveryRetentionDays: 7 });
    expect(now.getTime() - c.keysBefore.getTime()).toBe(IDEMPOTENCY_KEY_TTL_HOURS * HOUR_MS);
    expect(c.deliveredBefore.toISOString()).toBe('2026-11-28T12:00:00.000Z');
    expect(c.closedBefore.toISOString()).toBe('2026-08-07T12:00:00.000Z');
  });

  test('the cut-offs move with the run: a later run keeps nothing an earlier one would delete', () => {
    const earlier = purgeCutoffs(now, { retentionDays: 1, deliveryRetentionDays: 1 });
    const later = purgeCutoffs(new Date(now.getTime() + 1), { retentionDays: 1, deliveryRetentionDays: 1 });
    expect(later.closedBefore.getTime()).toBeGreaterThan(earlier.closedBefore.getTime());
    expect(later.keysBefore.getTime()).toBeGreaterThan(earlier.keysBefore.getTime());
  });
});

describe('retention settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

  test('defaults: 120 days for closed records, a week for delivered events, hourly, 500 a batch', () => {
    const c = load({});
    expect([c.RETENTION_DAYS, c.DELIVERY_RETENTION_DAYS, c.PURGE_INTERVAL_SECONDS, c.PURGE_BATCH_SIZE]).toEqual([
      120, 7, 3_600, 500,
    ]);
    expect(c.PURGE_SCHEDULE_ID).toBe('flash-sale-purge');
  });

  test.each([
    [{ RETENTION_DAYS: '0' }, /RETENTION_DAYS: must be at least 1/],
    [{ PURGE_BATCH_SIZE: '20000' }, /PURGE_BATCH_SIZE: must be at most 10000/],
    [{ PURGE_INTERVAL_SECONDS: '5' }, /PURGE_INTERVAL_SECONDS: must be at least 60/],
    [{ DELIVERY_RETENTION_DAYS: '1.5' }, /DELIVERY_RETENTION_DAYS: must be a whole number/],
  ])('%p is refused', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  test('closed orders outlive the retries of their events', () => {
    expect(() => load({ RETENTION_DAYS: '3', EVENTS_RETRY_HOURS: '72' })).toThrow(
      /RETENTION_DAYS: must be longer than EVENTS_RETRY_HOURS \(72 h\)/,
    );
    expect(load({ RETENTION_DAYS: '4', EVENTS_RETRY_HOURS: '72' }).RETENTION_DAYS).toBe(4);
  });
});
