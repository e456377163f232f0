import type { Context } from 'koa';
import { PAGE_SIZE_DEFAULT, pageQuery } from './schemas/requests';
import { check, ensureValid } from './validation';

export { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from './schemas/requests';

export interface Page {
  limit: number;
  afterId: number;
}

/** `?limit=` (1–1000, default 100) and `?after_id=`; the bare-array body stays, a Link header points onwards. */
export function readPage(ctx: Context): Page {
  // A blank value counts as absent, like a missing one.
  const { limit, after_id } = ensureValid(check(pageQuery, ctx.query));
  return { limit: limit ?? PAGE_SIZE_DEFAULT, afterId: after_id ?? 0 };
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
