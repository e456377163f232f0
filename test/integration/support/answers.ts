import { ERROR_CODES } from '../../../src/api/error-codes';

/** What the API's answers are checked against, shared by the files that check their shape. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `{"status":"error","message":…,"code":…,"timestamp":…}` and nothing else. */
export function expectErrorEnvelope(body: any, message?: string) {
  expect(Object.keys(body ?? {}).sort()).toEqual(['code', 'message', 'status', 'timestamp']);
  expect(ERROR_CODES).toContain(body.code);
  expect(body.status).toBe('error');
  expect(typeof body.message).toBe('string');
  expect(body.timestamp).toMatch(ISO);
  if (message !== undefined) expect(body.message).toBe(message);
}

export type Errors = Record<string, string[]>;

/** Laravel's summary: the first message, then "(and N more error|errors)". */
function laravelMessage(errors: Errors): string {
  const all = Object.values(errors).flat();
  const more = all.length - 1;
  return more === 0 ? all[0] : `${all[0]} (and ${more} more ${more === 1 ? 'error' : 'errors'})`;
}

/** The 422's code: an idempotency refusal has its own, every field error is `validation_failed`. */
const codeOf = (errors: Errors) =>
  Object.values(errors).flat()[0]?.startsWith('Idempotency-Key reused') ? 'idempotency_conflict' : 'validation_failed';

/** A 422 with exactly these field errors, as JSON. */
export function expect422(res: { status: number; body: any; headers: Headers }, errors: Errors) {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 422,
    body: { message: laravelMessage(errors), code: codeOf(errors), errors },
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

/** A refusal with `status` and the error envelope (with `message`, when given). */
export function expectRefusal(res: { status: number; body: any }, status: number, message?: string) {
  expect(res.status).toBe(status);
  expectErrorEnvelope(res.body, message);
}
