/**
 * A resource id written as text (a path segment, a provider's metadata): canonical positive integers only, within
 * what a JSON number holds exactly. "01", "1abc", "-1" and overlong numbers are not ids.
 */
export function parseId(raw: string | undefined | null): number | null {
  if (!raw || !/^[1-9]\d{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}
