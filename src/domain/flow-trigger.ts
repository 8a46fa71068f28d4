/**
 * How and when an AppFlow flow runs, read from its TriggerConfig: the trigger type, the schedule of a
 * Scheduled flow, its data pull mode, and where a run's window starts (times as epoch milliseconds).
 * Pure: no I/O, problems returned.
 */
import type { DataPullMode, TriggerConfig, TriggerType } from '../api/appflow/shapes.generated.js';
import { buildSchedule, type Parsed, type Schedule } from './schedule.js';

export interface FlowTrigger {
  type: TriggerType;
  /** Scheduled flows only; OnDemand and Event runs always read incrementally. */
  dataPullMode: DataPullMode;
  /** Scheduled flows only: the schedule, or the problem that stops it from running. */
  schedule?: Parsed<Schedule>;
  /** ScheduledTriggerProperties.firstExecutionFrom: where the first incremental run starts. */
  firstExecutionFrom?: number;
  /** ScheduledTriggerProperties.flowErrorDeactivationThreshold: failures in a row that suspend the flow. */
  deactivationThreshold?: number;
}

function num(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function ms(d: Date | undefined): number | undefined {
  return num(d?.getTime());
}

/** The trigger of a flow activated at `activatedAt` (a rate schedule without a start is anchored there). */
export function readTrigger(triggerConfig: TriggerConfig, activatedAt: number): FlowTrigger {
  const type = triggerConfig.triggerType === 'Scheduled' || triggerConfig.triggerType === 'Event' ? triggerConfig.triggerType : 'OnDemand';
  if (type !== 'Scheduled') return { type, dataPullMode: 'Incremental' };
  const props = triggerConfig.triggerProperties?.Scheduled;
  const schedule = buildSchedule(
    {
      ScheduleExpression: props?.scheduleExpression ?? '',
      ScheduleStartTime: ms(props?.scheduleStartTime),
      ScheduleEndTime: ms(props?.scheduleEndTime),
      ScheduleOffset: num(props?.scheduleOffset),
    },
    activatedAt,
  );
  return {
    type,
    dataPullMode: props?.dataPullMode === 'Complete' ? 'Complete' : 'Incremental',
    schedule,
    firstExecutionFrom: ms(props?.firstExecutionFrom),
    deactivationThreshold: num(props?.flowErrorDeactivationThreshold),
  };
}

/**
 * Why a flow with this trigger would never run on its schedule, or undefined: a Scheduled trigger needs
 * an expression profileflow can run and an end after its start. Asked when a flow is created or
 * changed, so the caller hears it then rather than meeting an Active flow that never runs.
 */
export function scheduleProblem(triggerConfig: TriggerConfig, now: number): string | undefined {
  const trigger = readTrigger(triggerConfig, now);
  if (!trigger.schedule || trigger.schedule.ok) return undefined;
  if (!triggerConfig.triggerProperties?.Scheduled?.scheduleExpression) {
    return 'A Scheduled trigger needs a ScheduleExpression in its Scheduled trigger properties, for example rate(5minutes).';
  }
  return trigger.schedule.problem;
}

/** What a run's window start depends on, from the flow's schedule state. */
export interface WindowState {
  /** End of the last successful window. */
  watermark?: number;
  /** End of the history the flow's integration workflow loaded. */
  historyEnd?: number;
  activatedAt?: number;
  createdAt: number;
}

/**
 * Where a run's window starts. Complete: the whole source (epoch 0). Incremental: after the last
 * successful window; for the first run, firstExecutionFrom, else (a flow a workflow created) the end of
 * the workflow's history, so nothing between the history and the first run is missed, else the time
 * the flow was activated.
 */
export function windowStart(trigger: FlowTrigger, state: WindowState): number {
  if (trigger.dataPullMode === 'Complete') return 0;
  return state.watermark ?? trigger.firstExecutionFrom ?? state.historyEnd ?? state.activatedAt ?? state.createdAt;
}
