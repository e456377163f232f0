const ASYNC_CONTEXT_FRAME = '--experimental-async-context-frame';

/**
 * What the Node.js runtime itself would cost the service. On Node.js 22 and 23 an AsyncLocalStorage in use (the
 * Temporal client's call context, the activities') runs a hook on every promise of the process, unless Node.js starts
 * with AsyncContextFrame (Node.js 24's default, measured in docs/performance-history.md). npm's scripts and the image
 * set it.
 */
export function runtimeWarnings(
  version = process.versions.node,
  execArgv = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const major = Number(version.split('.')[0]);
  if (major !== 22 && major !== 23) return [];
  if ([...execArgv, ...nodeOptions.split(/\s+/)].includes(ASYNC_CONTEXT_FRAME)) return [];
  return [
    `Node.js ${version} without ${ASYNC_CONTEXT_FRAME}: every promise pays AsyncLocalStorage's hook (npm start and the image set it)`,
  ];
}
