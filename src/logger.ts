import pino from 'pino';

export type Logger = pino.Logger;

/** One JSON object a line on stdout; ids (hold_id, order_id, workflow_id, request_id) go in as fields. */
export function createLogger(level: string, name: string): Logger {
  return pino({
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
