/** A UTC DATETIME(3) literal: Sequelize's raw replacements would drop the milliseconds of a Date. */
export const sqlTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
