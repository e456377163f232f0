import { ERROR_CODES } from '../../src/api/error-codes';
import {
  HttpError,
  ValidationError,
  internalError,
  malformedJson,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  rateLimited,
  refusal,
  unauthorized,
  unavailable,
} from '../../src/api/errors';
import { withStoredCode } from '../../src/api/respond';
import { adminRefusal } from '../../src/api/routes/admin';
import { paymentRefusal } from '../../src/api/routes/payments';
import { customerLimitMessage, insufficientStockMessage, OTHER_CUSTOMER_MESSAGE } from '../../src/shared/refusals';
import { FailureType } from '../../src/shared/types';

const USED = 'Hold is already associated with an order';

/** Every contract message is raised with its contract code: the code travels with the error, not its wording. */
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
    [refusal.insufficientStock(3), 400, insufficientStockMessage(3), 'insufficient_stock'],
    [refusal.customerLimit(2), 400, customerLimitMessage(2), 'customer_limit'],
    [refusal.order(FailureType.HoldExpired), 400, 'Cannot create order: Hold has expired', 'hold_expired'],
    [refusal.order(FailureType.HoldReleased), 400, 'Cannot create order: Hold has been released', 'hold_released'],
    [refusal.order(FailureType.HoldUsed), 400, `Cannot create order: ${USED}`, 'hold_used'],
    [refusal.release(FailureType.HoldUsed), 400, `Cannot release: ${USED}`, 'hold_used'],
    [refusal.release(FailureType.HoldReleased), 400, 'Cannot release: Hold has already been released', 'hold_released'],
    [refusal.extend(FailureType.HoldExpired), 400, 'Cannot extend hold: Hold has expired', 'hold_expired'],
    [refusal.extend(FailureType.HoldReleased), 400, 'Cannot extend hold: Hold has been released', 'hold_released'],
    [refusal.extend(FailureType.HoldUsed), 400, `Cannot extend hold: ${USED}`, 'hold_used'],
    [refusal.extend(FailureType.ExtensionLimit), 400, 'Cannot extend hold: extension limit reached', 'extension_limit'],
    [refusal.extensionDisabled(), 400, 'Hold extension is disabled', 'extension_disabled'],
    [paymentRefusal.notPending(), 400, 'Order is not in pending state', 'order_not_pending'],
    [malformedJson(), 400, 'Malformed JSON body', 'malformed_json'],
    [unauthorized(), 401, 'Unauthorized', 'unauthorized'],
    [paymentRefusal.invalidSignature(), 401, 'Invalid signature', 'invalid_signature'],
    [refusal.otherCustomer(), 403, OTHER_CUSTOMER_MESSAGE, 'forbidden'],
    [adminRefusal.disabled(), 403, 'Admin API disabled', 'forbidden'],
    [notFound('Hold'), 404, 'Hold not found', 'not_found'],
    [methodNotAllowed(['GET']), 405, 'Method not allowed', 'method_not_allowed'],
    [paymentRefusal.eventReused(), 409, 'Event id has already been used for another order', 'event_conflict'],
    [payloadTooLarge(), 413, 'Payload too large', 'payload_too_large'],
    [rateLimited(3), 429, 'Too many requests', 'rate_limited'],
    [internalError(), 500, 'Internal server error', 'internal_error'],
    [unavailable(), 503, 'Service temporarily unavailable', 'unavailable'],
  ])('%#: %i %s → %s', (err: HttpError, status, message, code) => {
    expect({ status: err.status, message: err.message, code: err.code }).toEqual({ status, message, code });
  });

  test('validation errors: validation_failed unless raised as an idempotency conflict', () => {
    expect(new ValidationError({ quantity: ['The quantity field must not be greater than 5.'] }).code).toBe(
      'validation_failed',
    );
    const reused = new ValidationError({ idempotency_key: ['x'] }, 'idempotency_conflict');
    expect(reused.code).toBe('idempotency_conflict');
  });

  test('an error body stored without a code is replayed with its status’s; other bodies are left alone', () => {
    const at = '2026-11-30T00:00:00.000Z';
    expect(withStoredCode(404, { status: 'error', message: 'Hold not found', timestamp: at })).toEqual({
      status: 'error',
      message: 'Hold not found',
      code: 'not_found',
      timestamp: at,
    });
    const laravel = { message: 'The quantity field is required.', errors: { quantity: ['x'] } };
    expect(withStoredCode(422, laravel)).toEqual({ ...laravel, code: 'validation_failed' });
    const coded = { status: 'error', message: 'x', code: 'forbidden', timestamp: at };
    expect(withStoredCode(400, coded)).toBe(coded);
    const ready = { status: 'unavailable', message: 'Unavailable: redis', checks: {} };
    expect(withStoredCode(503, ready)).toBe(ready);
    const ok = { status: 'success', data: {} };
    expect(withStoredCode(200, ok)).toBe(ok);
  });
});
