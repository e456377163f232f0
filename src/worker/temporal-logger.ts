import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from '../logger';
import { FailureType } from '../shared/types';

const businessRefusals = new Set<string>(Object.values(FailureType));

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Routes the SDK's and workflows' log lines (with their workflowId, activityType, …) into our JSON logs. */
export function temporalLogger(log: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    // A refused reservation is an answer, not a fault: under a sold-out stampede it would flood the warnings.
    const type = (meta?.error as { type?: string } | undefined)?.type;
    const lvl = level === 'WARN' && type && businessRefusals.has(type) ? 'DEBUG' : level;
    log[levels[lvl]]({ ...meta }, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
