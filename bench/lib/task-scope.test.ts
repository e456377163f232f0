import { addTaskScope, perUnitScope, type TaskScope } from './task-scope';

const ev = (field: string, attrs: object = {}) => ({ [field]: attrs });
const taskBy = (identity: string) => [
  ev('workflowTaskScheduledEventAttributes'),
  ev('workflowTaskStartedEventAttributes', { identity }),
  ev('workflowTaskCompletedEventAttributes'),
];

describe("the bench's count of which process ran which task", () => {
  test('a hold started eagerly by the API, ordered through an update, expired on a timer the worker ran', () => {
    const history = [
      ev('workflowExecutionStartedEventAttributes'),
      ...taskBy('100@host'),
      ev('markerRecordedEventAttributes'),
      // An update is delivered inside its task: no event names it before the task.
      ...taskBy('100@host'),
      ev('activityTaskScheduledEventAttributes'),
      ev('activityTaskStartedEventAttributes', { identity: '200@host' }),
      ev('activityTaskCompletedEventAttributes'),
      ...taskBy('200@host'),
      ev('timerStartedEventAttributes'),
      ev('timerFiredEventAttributes'),
      ...taskBy('200@host'),
      ev('markerRecordedEventAttributes'),
      ...taskBy('999@elsewhere'),
    ];
    const scope: TaskScope = {};
    addTaskScope(scope, 'hold', history as never, { api: 100, worker: 200 });
    expect(scope).toEqual({
      api: { 'hold task (start)': 1, 'hold task (update)': 1, 'local activity': 1 },
      worker: {
        'activity task': 1,
        'hold task (activity_result)': 1,
        'hold task (timer)': 1,
        'local activity': 1,
      },
      other: { 'hold task (update)': 1 },
    });
    expect(perUnitScope(scope, 2).worker).toEqual({
      'activity task': 0.5,
      'hold task (activity_result)': 0.5,
      'hold task (timer)': 0.5,
      'local activity': 0.5,
    });
  });
});
