import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The patch id of harness/upgrade/hold-v-next.patch: its marker in a history means the hold started on the new rules. */
export const NEXT_RULES_PATCH = 'chaos-hold-rules-v-next';

const NON_DETERMINISM =
  temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;

/** What one hold's history says about the rules it ran on. */
export interface HoldRun {
  workflowId: string;
  startedAt: number;
  /** Its first workflow task recorded the new build's patch marker: it started on the new rules. */
  startedOnNext: boolean;
  /** The rules its result names ('v-next' or today's), or null while it has not completed. */
  finishedOn: 'v-next' | 'today' | null;
  /** Who completed its workflow tasks (worker identities, `<pid>@<host>`). */
  taskWorkers: string[];
  /** Workflow tasks that failed, with why; non-determinism among them is a finding. */
  failedTasks: { nondeterminism: boolean; message: string }[];
}

const text = (data: Uint8Array | null | undefined) => (data ? Buffer.from(data).toString('utf8') : '');

/** Reads a hold's history: which rules it started and finished on, and which workers ran it. */
export async function readHoldRun(client: Client, workflowId: string): Promise<HoldRun> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const run: HoldRun = {
    workflowId,
    startedAt: 0,
    startedOnNext: false,
    finishedOn: null,
    taskWorkers: [],
    failedTasks: [],
  };
  for (const e of history.events ?? []) {
    if (e.workflowExecutionStartedEventAttributes && e.eventTime?.seconds != null) {
      run.startedAt = Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6);
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      const ids = Object.values(marker.details ?? {}).flatMap((p) => (p.payloads ?? []).map((x) => text(x.data)));
      if (ids.some((id) => id.includes(NEXT_RULES_PATCH))) run.startedOnNext = true;
    }
    const done = e.workflowTaskCompletedEventAttributes;
    if (done?.identity) run.taskWorkers.push(done.identity);
    const failed = e.workflowTaskFailedEventAttributes;
    if (failed) {
      const message = failed.failure?.message ?? String(failed.cause);
      const nondeterminism = failed.cause === NON_DETERMINISM || /nondetermin|TMPRL1100/i.test(message);
      run.failedTasks.push({ nondeterminism, message });
    }
    const result = e.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
    if (result) {
      const status = defaultPayloadConverter.fromPayload<{ rules?: string }>(result);
      run.finishedOn = status?.rules === 'v-next' ? 'v-next' : 'today';
    }
  }
  return run;
}

/** `readHoldRun` for each id, a few at a time (the dev server is shared with the running load). */
export async function readHoldRuns(client: Client, workflowIds: string[], parallel = 8): Promise<HoldRun[]> {
  const out: HoldRun[] = [];
  const queue = [...workflowIds];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) out.push(await readHoldRun(client, id));
    }),
  );
  return out;
}

/** Hold workflows started in [from, to] (visibility), with when each started and closed (null: still running). */
export async function listHoldRuns(
  client: Client,
  from: number,
  to: number,
): Promise<{ workflowId: string; startedAt: number; closedAt: number | null }[]> {
  const query =
    `WorkflowType = 'holdWorkflowV2' AND StartTime >= '${new Date(from).toISOString()}'` +
    ` AND StartTime <= '${new Date(to).toISOString()}'`;
  const out: { workflowId: string; startedAt: number; closedAt: number | null }[] = [];
  for await (const w of client.workflow.list({ query })) {
    out.push({ workflowId: w.workflowId, startedAt: w.startTime.getTime(), closedAt: w.closeTime?.getTime() ?? null });
  }
  return out;
}
