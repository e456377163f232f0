/** A UTC DATETIME(3) literal: Sequelize's raw replacements would drop the milliseconds of a Date. */
export const sqlTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/** A DATETIME as the driver returns it (a Date, or a string) in ISO 8601 UTC. */
export const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();
