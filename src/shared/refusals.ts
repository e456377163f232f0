import { FailureType } from './types';

/** The facts about a hold that decide whether it can still be ordered or released. */
export interface HoldFacts {
  expiresAtMs: number;
  released: boolean;
  used: boolean;
}

/**
 * Why a hold cannot be ordered, in the contract's order: expired first (even once released),
 * then released, then already ordered. Null when it can.
 */
export function orderRefusal(h: HoldFacts, nowMs: number): FailureType | null {
  if (nowMs >= h.expiresAtMs) return FailureType.HoldExpired;
  if (h.released) return FailureType.HoldReleased;
  if (h.used) return FailureType.HoldUsed;
  return null;
}

/** Why a hold cannot be released early: ordered holds stay taken; an expired hold counts as released. */
export function releaseRefusal(h: HoldFacts, nowMs: number): FailureType | null {
  if (h.used) return FailureType.HoldUsed;
  if (h.released || nowMs >= h.expiresAtMs) return FailureType.HoldReleased;
  return null;
}

export const orderRefusalMessage: Record<string, string> = {
  [FailureType.HoldExpired]: 'Cannot create order: Hold has expired',
  [FailureType.HoldReleased]: 'Cannot create order: Hold has been released',
  [FailureType.HoldUsed]: 'Cannot create order: Hold is already associated with an order',
};

export const releaseRefusalMessage: Record<string, string> = {
  [FailureType.HoldUsed]: 'Cannot release: Hold is already associated with an order',
  [FailureType.HoldReleased]: 'Cannot release: Hold has already been released',
};

export const customerLimitMessage = (max: number) => `Cannot create hold: limit of ${max} per customer reached`;

/** Ordering, releasing or extending a customer's hold with another customer_id. */
export const OTHER_CUSTOMER_MESSAGE = 'Hold belongs to another customer';

export const insufficientStockMessage = (available: number) =>
  `Insufficient stock available. Only ${available} units remaining.`;

export const extensionDisabledMessage = 'Hold extension is disabled';

export const extendRefusalMessage: Record<string, string> = {
  [FailureType.HoldExpired]: 'Cannot extend hold: Hold has expired',
  [FailureType.HoldReleased]: 'Cannot extend hold: Hold has been released',
  [FailureType.HoldUsed]: 'Cannot extend hold: Hold is already associated with an order',
  [FailureType.ExtensionLimit]: 'Cannot extend hold: extension limit reached',
};
