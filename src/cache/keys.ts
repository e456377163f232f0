/** The Redis keys of a product's cached copy and sold-out gate (src/cache/product-cache.ts explains each). */
export const productKey = (id: number) => `product:${id}`;
export const genKey = (id: number) => `product:${id}:gen`;
/** The sold-out gate: the last available_stock a reservation committed (or read under the lock). */
export const gateKey = (id: number) => `product:${id}:gate`;
/** Bumped by every invalidation (stock may have come back): gate values from an older epoch are refused. */
export const epochKey = (id: number) => `product:${id}:gate-epoch`;
/** The stock writes under way on a product (member: the write's id, score: when its mark lapses, Redis time ms). */
export const writingKey = (id: number) => `product:${id}:writing`;
/** The reservations under way (member `holdId:quantity`, score: when the member lapses, Redis time in ms). */
export const reservingKey = (id: number) => `product:${id}:reserving`;
/** The sum of the reserving members' quantities, kept beside the set so a check costs no scan. */
export const reservingUnitsKey = (id: number) => `product:${id}:reserving-units`;
export const reservingMember = (holdId: number, quantity: number) => `${holdId}:${quantity}`;
