import { loadConfig } from '../../src/config';
import { configFailure } from '../support/config';

describe('CURRENCY and STRIPE_WEBHOOK_SECRET', () => {
  test('CURRENCY defaults to usd and takes a lower-case ISO 4217 code', () => {
    expect(loadConfig({}).CURRENCY).toBe('usd');
    expect(loadConfig({ CURRENCY: 'jpy' }).CURRENCY).toBe('jpy');
    // Empty is "not set", as for every variable (a compose file's `CURRENCY=`).
    expect(loadConfig({ CURRENCY: '' }).CURRENCY).toBe('usd');
  });

  test.each([['USD'], ['us'], ['euro'], ['u$d']])('CURRENCY=%s stops start-up naming the variable', (value) => {
    expect(configFailure({ CURRENCY: value })).toContain('CURRENCY: must be a lower-case ISO 4217 code');
  });

  test('STRIPE_WEBHOOK_SECRET is optional; when given it is one token, never blank', () => {
    expect(loadConfig({}).STRIPE_WEBHOOK_SECRET).toBeUndefined();
    expect(loadConfig({ STRIPE_WEBHOOK_SECRET: '' }).STRIPE_WEBHOOK_SECRET).toBeUndefined();
    expect(loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_abc123' }).STRIPE_WEBHOOK_SECRET).toBe('whsec_abc123');
    expect(configFailure({ STRIPE_WEBHOOK_SECRET: '   ' })).toContain('STRIPE_WEBHOOK_SECRET: must not contain spaces');
    expect(configFailure({ STRIPE_WEBHOOK_SECRET: 'whsec_abc\n' })).toContain('STRIPE_WEBHOOK_SECRET:');
    // The secret itself is never echoed in the message.
    expect(configFailure({ STRIPE_WEBHOOK_SECRET: 'whsec_abc def' })).not.toContain('whsec_abc');
  });
});
