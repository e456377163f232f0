/**
 * The failures of the Temporal gateway that reach the API's callers as HTTP answers (503, a replayed answer): the API
 * sees them through the sale, never the gateway itself.
 */
export { TemporalUnavailable, WorkflowClosed } from '../temporal/call-errors';
