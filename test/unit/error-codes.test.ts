import { ERROR_CODES, errorCodeFor, withErrorCode } from '../../src/api/error-codes';
import { customerLimitMessage, insufficientStockMessage, OTHER_CUSTOMER_MESSAGE } from '../../src/shared/refusals';

/** Every contract message gets its contract code; the code follows the wording, not only the status. */
describe('error codes', () => {
  test('the list is the contract’s, word for word', () => {
    expect([...ERROR_CODES]).toEqual(
      (
        'validation_failed malformed_json payload_too_large not_found method_not_allowed unauthorized forbidden ' +
        'invalid_signature rate_limited insufficient_stock customer_limit hold_expired hold_released hold_used ' +
        'extension_disabled extension_limit order_not_pending idempotency_conflict event_conflict unavailable ' +
        'internal_error'
      ).split(' '),
    );
  });

  test.each([
    [400, insufficientStockMessage(3), 'insufficient_stock'],
    [400, customerLimitMessage(2), 'customer_limit'],
    [400, 'Cannot create order: Hold has expired', 'hold_expired'],
    [400, 'Cannot create order: Hold has been released', 'hold_released'],
    [400, 'Cannot create order: Hold is already associated with an order', 'hold_used'],
    [400, 'Cannot release: Hold is already associated with an order', 'hold_used'],
    [400, 'Cannot release: Hold has already been released', 'hold_released'],
    [400, 'Cannot extend hold: Hold has expired', 'hold_expired'],
    [400, 'Cannot extend hold: Hold has been released', 'hold_released'],
    [400, 'Cannot extend hold: Hold is already associated with an order', 'hold_used'],
    [400, 'Cannot extend hold: extension limit reached', 'extension_limit'],
    [400, 'Hold extension is disabled', 'extension_disabled'],
    [400, 'Order is not in pending state', 'order_not_pending'],
    [400, 'Malformed JSON body', 'malformed_json'],
    [401, 'Unauthorized', 'unauthorized'],
    [401, 'Invalid signature', 'invalid_signature'],
    [403, OTHER_CUSTOMER_MESSAGE, 'forbidden'],
    [403, 'Admin API disabled', 'forbidden'],
    [404, 'Hold not found', 'not_found'],
    [405, 'Method not allowed', 'method_not_allowed'],
    [409, 'Event id has already been used for another order', 'event_conflict'],
    [413, 'Payload too large', 'payload_too_large'],
    [422, 'The quantity field must not be greater than 5.', 'validation_failed'],
    [422, 'Idempotency-Key reused with different parameters', 'idempotency_conflict'],
    [429, 'Too many requests', 'rate_limited'],
    [500, 'Internal server error', 'internal_error'],
    [503, 'Service temporarily unavailable', 'unavailable'],
  ])('%i %s → %s', (status, message, code) => {
    expect(errorCodeFor(status, message)).toBe(code);
  });

  test('bodies gain the code after the message; success and other shapes are left alone', () => {
    const at = '2026-11-30T00:00:00.000Z';
    expect(withErrorCode(404, { status: 'error', message: 'Hold not found', timestamp: at })).toEqual({
      status: 'error',
      message: 'Hold not found',
      code: 'not_found',
      timestamp: at,
    });
    const laravel = { message: 'The quantity field is required.', errors: { quantity: ['x'] } };
    expect(withErrorCode(422, laravel)).toEqual({ ...laravel, code: 'validation_failed' });
    const coded = { status: 'error', message: 'x', code: 'forbidden', timestamp: at };
    expect(withErrorCode(400, coded)).toBe(coded);
    const ready = { status: 'unavailable', message: 'Unavailable: redis', checks: {} };
    expect(withErrorCode(503, ready)).toBe(ready);
    const ok = { status: 'success', data: {} };
    expect(withErrorCode(200, ok)).toBe(ok);
  });
});
