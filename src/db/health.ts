import type { Sequelize } from 'sequelize';

/** Resolves when MariaDB answers a query (the readiness probe). */
export const databaseAnswers = (db: Sequelize) => db.query('SELECT 1');
