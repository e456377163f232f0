/**
 * The Temporal server's work for one paid unit, read from the histories of that unit's workflows: events by kind,
 * workflow tasks, workflow starts, activity tasks, updates, signals, timers and visibility writes. The server is a Go
 * process the bench only measures from outside (its CPU); what it is asked to do per unit is what this counts.
 */
import { Client, Connection } from '@temporalio/client';
import { addTaskScope, perUnitScope, type TaskScope } from './task-scope';
import { round } from './util';

/** Counted per unit: event kinds that stand for a piece of the server's work. */
const COUNTED: Record<string, string> = {
  workflowExecutionStartedEventAttributes: 'workflows',
  workflowTaskCompletedEventAttributes: 'workflow_tasks',
  activityTaskScheduledEventAttributes: 'activity_tasks',
  markerRecordedEventAttributes: 'local_activities',
  workflowExecutionUpdateAcceptedEventAttributes: 'updates',
  workflowExecutionSignaledEventAttributes: 'signals',
  timerStartedEventAttributes: 'timers',
  startChildWorkflowExecutionInitiatedEventAttributes: 'child_starts',
  upsertWorkflowSearchAttributesEventAttributes: 'search_attribute_upserts',
};
export const WORK_KINDS = ['events', ...new Set(Object.values(COUNTED)), 'visibility_writes'];

/** The kind of a history event: the name of its one attributes field. */
const kindOf = (event: object) =>
  Object.entries(event).find(([k, v]) => k.endsWith('EventAttributes') && v !== null && v !== undefined)?.[0];

/**
 * Mean work per unit over `units` (each unit: the ids of its workflows). Visibility writes: a record when a workflow
 * opens, one when it closes, and one per search-attribute upsert. With `processes` (name → pid), also which of them
 * ran each workflow task, activity and local activity (bench/lib/task-scope.ts).
 */
export async function temporalWorkPerUnit(
  address: string,
  namespace: string,
  units: string[][],
  processes?: Record<string, number>,
) {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const totals: Record<string, number> = Object.fromEntries(WORK_KINDS.map((k) => [k, 0]));
    const scope: TaskScope = {};
    for (const workflowIds of units) {
      for (const id of workflowIds) {
        const { events } = await client.workflow.getHandle(id).fetchHistory();
        const type = events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'workflow';
        if (processes) addTaskScope(scope, workflowTypeLabel(type), events ?? [], processes);
        for (const event of events ?? []) {
          totals.events++;
          const counted = COUNTED[kindOf(event) ?? ''];
          if (counted) totals[counted]++;
        }
      }
    }
    totals.visibility_writes = 2 * totals.workflows + totals.search_attribute_upserts;
    return {
      units_read: units.length,
      ...Object.fromEntries(WORK_KINDS.map((k) => [k, round(totals[k] / Math.max(units.length, 1), 2)])),
      ...(processes ? { tasks_by_process: perUnitScope(scope, units.length) } : {}),
    };
  } finally {
    await connection.close();
  }
}

/** `holdWorkflowV2` → hold, `orderWorkflow` → order, the floor's → floor. */
const workflowTypeLabel = (type: string) => (/^floor/i.test(type) ? 'floor' : type.replace(/Workflow(V\d+)?$/, ''));
