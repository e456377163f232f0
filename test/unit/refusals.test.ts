import {
  insufficientStockMessage,
  orderRefusal,
  orderRefusalMessage,
  releaseRefusal,
  releaseRefusalMessage,
} from '../../src/shared/refusals';
import { FailureType } from '../../src/shared/types';

const NOW = Date.parse('2026-11-24T10:02:00.000Z');
const live = { expiresAtMs: NOW + 60_000, released: false, used: false };
const expired = { ...live, expiresAtMs: NOW - 1 };
const USED = 'Hold is already associated with an order';

describe('orderRefusal: expired, then released, then already ordered', () => {
  test('a live hold can be ordered', () => {
    expect(orderRefusal(live, NOW)).toBeNull();
  });
  test('an expired hold reports "expired", even once released or used', () => {
    expect(orderRefusal(expired, NOW)).toBe(FailureType.HoldExpired);
    expect(orderRefusal({ ...expired, released: true }, NOW)).toBe(FailureType.HoldExpired);
    expect(orderRefusal({ ...expired, used: true }, NOW)).toBe(FailureType.HoldExpired);
  });
  test('expiry is inclusive: at hold_expires_at the hold has expired', () => {
    expect(orderRefusal({ ...live, expiresAtMs: NOW }, NOW)).toBe(FailureType.HoldExpired);
    expect(orderRefusal({ ...live, expiresAtMs: NOW + 1 }, NOW)).toBeNull();
  });
  test('released before used', () => {
    expect(orderRefusal({ ...live, released: true }, NOW)).toBe(FailureType.HoldReleased);
    expect(orderRefusal({ ...live, released: true, used: true }, NOW)).toBe(FailureType.HoldReleased);
  });
  test('an ordered hold', () => {
    expect(orderRefusal({ ...live, used: true }, NOW)).toBe(FailureType.HoldUsed);
  });
});

describe('releaseRefusal: ordered holds stay taken; an expired hold counts as released', () => {
  test('a live hold can be released', () => {
    expect(releaseRefusal(live, NOW)).toBeNull();
  });
  test('an ordered hold, expired or not', () => {
    expect(releaseRefusal({ ...live, used: true }, NOW)).toBe(FailureType.HoldUsed);
    expect(releaseRefusal({ ...expired, used: true }, NOW)).toBe(FailureType.HoldUsed);
  });
  test('released or expired', () => {
    expect(releaseRefusal({ ...live, released: true }, NOW)).toBe(FailureType.HoldReleased);
    expect(releaseRefusal(expired, NOW)).toBe(FailureType.HoldReleased);
    expect(releaseRefusal({ ...live, expiresAtMs: NOW }, NOW)).toBe(FailureType.HoldReleased);
  });
});

describe('messages: the contract’s words', () => {
  test('order refusals', () => {
    expect(orderRefusalMessage[FailureType.HoldExpired]).toBe('Cannot create order: Hold has expired');
    expect(orderRefusalMessage[FailureType.HoldReleased]).toBe('Cannot create order: Hold has been released');
    expect(orderRefusalMessage[FailureType.HoldUsed]).toBe(`Cannot create order: ${USED}`);
  });
  test('release refusals', () => {
    expect(releaseRefusalMessage[FailureType.HoldUsed]).toBe(`Cannot release: ${USED}`);
    expect(releaseRefusalMessage[FailureType.HoldReleased]).toBe('Cannot release: Hold has already been released');
  });
  test('insufficient stock', () => {
    expect(insufficientStockMessage(0)).toBe('Insufficient stock available. Only 0 units remaining.');
    expect(insufficientStockMessage(17)).toBe('Insufficient stock available. Only 17 units remaining.');
  });
});
