import type { Context } from 'koa';
import { check, ensureValid, rules, toInteger } from './validation';

export interface Page {
  limit: number;
  afterId: number;
}

export const PAGE_SIZE_MAX = 1000;
export const PAGE_SIZE_DEFAULT = 100;

/** `?limit=` (1–1000, default 100) and `?after_id=`; the bare-array body stays, a Link header points onwards. */
export function readPage(ctx: Context): Page {
  const checked = check(ctx.query, {
    limit: { checks: [rules.integer(), rules.min(1), rules.max(PAGE_SIZE_MAX)] },
    after_id: { checks: [rules.integer(), rules.min(0)] },
  });
  for (const f of ['limit', 'after_id']) {
    if (Array.isArray(ctx.query[f])) checked.errors[f] = [`The ${f.replace('_', ' ')} field must be an integer.`];
  }
  ensureValid(checked);
  return {
    // A blank value counts as absent, like a missing one.
    limit: toInteger(checked.input.limit) ?? PAGE_SIZE_DEFAULT,
    afterId: toInteger(checked.input.after_id) ?? 0,
  };
}

/** Trims the one extra row fetched to learn whether more remain, and sets the Link header. */
export function sendPage<T extends { id: number }>(ctx: Context, rows: T[], page: Page, filter = ''): void {
  const items = rows.slice(0, page.limit);
  if (rows.length > page.limit) {
    const last = items[items.length - 1].id;
    ctx.set('Link', `<${ctx.path}?${filter}limit=${page.limit}&after_id=${last}>; rel="next"`);
  }
  ctx.body = items;
}

/**
 * One page of a list in ascending id order, as the list endpoints answer it. `read` returns up to `limit + 1` rows
 * after `afterId` (the extra one tells that more remain); `query` (`name=value&`) is the list's filter, for the link.
 */
export async function listPage<T extends { id: number }>(
  ctx: Context,
  read: (page: Page) => Promise<T[]>,
  query?: string,
): Promise<void> {
  const page = readPage(ctx);
  sendPage(ctx, await read(page), page, query);
}
