import { createHmac } from 'node:crypto';
import { SIGNATURE_TOLERANCE_SECONDS, secretsEqual, signPayload, verifySignature } from '../../src/signature';

const SECRET = 'whsec_test';
const BODY = '{"event_id":"evt_1","order_id":5,"status":"paid"}';
const T = 1_800_000_000;
const NOW_MS = T * 1000;
const hmac = (secret: string, t: number | string, body: string) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

describe('signPayload', () => {
  test('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    expect(signPayload(SECRET, BODY, T)).toBe(`t=${T},v1=${hmac(SECRET, T, BODY)}`);
  });

  test('defaults t to now, in seconds', () => {
    const before = Math.floor(Date.now() / 1000);
    const header = signPayload(SECRET, BODY);
    const t = Number(/^t=(\d+),v1=[0-9a-f]{64}$/.exec(header)![1]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(verifySignature(SECRET, header, BODY)).toBe(true);
  });
});

describe('verifySignature', () => {
  const good = signPayload(SECRET, BODY, T);

  test('accepts its own signature', () => {
    expect(verifySignature(SECRET, good, BODY, NOW_MS)).toBe(true);
  });

  test('accepts upper-case hex, spaces after commas, and several v1 (secret rotation)', () => {
    const v1 = hmac(SECRET, T, BODY);
    expect(verifySignature(SECRET, `t=${T},v1=${v1.toUpperCase()}`, BODY, NOW_MS)).toBe(true);
    expect(verifySignature(SECRET, `t=${T}, v1=${v1}`, BODY, NOW_MS)).toBe(true);
    expect(verifySignature(SECRET, `t=${T},v1=${hmac('old', T, BODY)},v1=${v1}`, BODY, NOW_MS)).toBe(true);
    expect(verifySignature(SECRET, `v1=${v1},t=${T}`, BODY, NOW_MS)).toBe(true);
  });

  test.each([
    ['empty', ''],
    ['no v1', `t=${T}`],
    ['no t', `v1=${hmac(SECRET, T, BODY)}`],
    ['garbage', 'nonsense'],
    ['a piece without =', `t=${T},v1`],
    ['a non-numeric t', `t=abc,v1=${hmac(SECRET, 'abc', BODY)}`],
    ['a negative t', `t=-${T},v1=${hmac(SECRET, `-${T}`, BODY)}`],
    ['two t', `t=${T},t=${T},v1=${hmac(SECRET, T, BODY)}`],
    ['a truncated v1', `t=${T},v1=${hmac(SECRET, T, BODY).slice(0, 63)}`],
    ['a v1 of another secret', `t=${T},v1=${hmac('other', T, BODY)}`],
    ['a v1 of another body', `t=${T},v1=${hmac(SECRET, T, BODY.replace('paid', 'failed'))}`],
    ['a v1 of another t', `t=${T},v1=${hmac(SECRET, T + 1, BODY)}`],
    ['a v1 over the body alone', `t=${T},v1=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`],
    ['a v0 scheme only', `t=${T},v0=${hmac(SECRET, T, BODY)}`],
  ])('refuses %s', (_, header) => {
    expect(verifySignature(SECRET, header, BODY, NOW_MS)).toBe(false);
  });

  test('refuses a body changed by one byte, even whitespace', () => {
    expect(verifySignature(SECRET, good, `${BODY} `, NOW_MS)).toBe(false);
    expect(verifySignature(SECRET, good, BODY.replace('5', '6'), NOW_MS)).toBe(false);
  });

  test(`t may be up to ${SIGNATURE_TOLERANCE_SECONDS} s away from now, either way`, () => {
    expect(SIGNATURE_TOLERANCE_SECONDS).toBe(300);
    const at = (offsetS: number) => verifySignature(SECRET, signPayload(SECRET, BODY, T + offsetS), BODY, NOW_MS);
    expect(at(-300)).toBe(true);
    expect(at(300)).toBe(true);
    expect(at(-301)).toBe(false);
    expect(at(301)).toBe(false);
    expect(at(-86_400)).toBe(false);
  });
});

describe('secretsEqual', () => {
  test('compares any lengths without throwing', () => {
    expect(secretsEqual('token', 'token')).toBe(true);
    expect(secretsEqual('token', 'token2')).toBe(false);
    expect(secretsEqual('', 'token')).toBe(false);
    expect(secretsEqual('Token', 'token')).toBe(false);
  });
});
