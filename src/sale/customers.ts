import { OTHER_CUSTOMER_MESSAGE } from '../shared/refusals';
import type { HoldView } from '../shared/views';

/** The shop's own customer id: any string of 1 to 255 characters, compared byte for byte. */
export const CUSTOMER_ID_MAX_LENGTH = 255;

/**
 * Whether a request naming `given` may act on this hold (order, release, extend): a hold made for a customer is only
 * theirs. A request naming no customer is the shop's backend acting for whoever holds it, and a hold made without a
 * customer belongs to no one in particular.
 */
export const belongsToAnother = (hold: Pick<HoldView, 'customer_id'>, given: string | undefined): boolean =>
  given !== undefined && hold.customer_id !== null && hold.customer_id !== given;

export { OTHER_CUSTOMER_MESSAGE };
