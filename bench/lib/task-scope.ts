/**
 * Which process ran which of a workflow's tasks, read from its history: a WorkflowTaskStarted event names the poller
 * that took the task (the SDK's identity, `<pid>@<host>`, or the starter's for an eagerly started first task) and an
 * ActivityTaskStarted event the worker that ran the activity. A local activity runs in the process that ran the
 * workflow task before its marker. This is how the bench measures the scope of the API's hold worker.
 */
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What made the server schedule a workflow task, as the event that came before it. */
const TRIGGERS: [keyof HistoryEvent, string][] = [
  ['workflowExecutionStartedEventAttributes', 'start'],
  ['timerFiredEventAttributes', 'timer'],
  ['workflowExecutionSignaledEventAttributes', 'signal'],
  ['activityTaskCompletedEventAttributes', 'activity_result'],
  ['activityTaskFailedEventAttributes', 'activity_result'],
  ['activityTaskTimedOutEventAttributes', 'activity_result'],
  ['childWorkflowExecutionStartedEventAttributes', 'child'],
  ['childWorkflowExecutionCompletedEventAttributes', 'child'],
  ['childWorkflowExecutionFailedEventAttributes', 'child'],
];

/** Counts by process name (`processes`: name → pid; any other poller is "other"), then by kind of work. */
export type TaskScope = Record<string, Record<string, number>>;

export function addTaskScope(
  scope: TaskScope,
  workflowType: string,
  events: HistoryEvent[],
  processes: Record<string, number>,
) {
  const byPid = new Map(Object.entries(processes).map(([name, pid]) => [String(pid), name]));
  const processOf = (identity: string | null | undefined) =>
    byPid.get(/^(\d+)@/.exec(identity ?? '')?.[1] ?? '') ?? 'other';
  const add = (process: string, kind: string) => {
    const counts = (scope[process] ??= {});
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  // Updates arrive inside a task and leave no event before it: a task with no trigger is an update's (or a retry's).
  let trigger = 'update';
  let lastTaskBy = 'other';
  for (const event of events) {
    const found = TRIGGERS.find(([field]) => event[field]);
    if (found) trigger = found[1];
    if (event.workflowTaskStartedEventAttributes) {
      lastTaskBy = processOf(event.workflowTaskStartedEventAttributes.identity);
      add(lastTaskBy, `${workflowType} task (${trigger})`);
    } else if (event.workflowTaskCompletedEventAttributes) {
      trigger = 'update';
    } else if (event.markerRecordedEventAttributes) {
      add(lastTaskBy, 'local activity');
    } else if (event.activityTaskStartedEventAttributes) {
      add(processOf(event.activityTaskStartedEventAttributes.identity), 'activity task');
    }
  }
}

/** Each count divided by `units`, rounded to two decimals. */
export function perUnitScope(scope: TaskScope, units: number): TaskScope {
  const n = Math.max(units, 1);
  return Object.fromEntries(
    Object.entries(scope).map(([process, counts]) => [
      process,
      Object.fromEntries(
        Object.entries(counts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, Math.round((v / n) * 100) / 100]),
      ),
    ]),
  );
}
