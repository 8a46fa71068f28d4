/**
 * How and when an AppFlow flow runs, read from its stored TriggerConfig (AppFlow's camelCase members,
 * timestamps as epoch milliseconds): the trigger type, the schedule of a Scheduled flow, its data pull
 * mode, and where a run's window starts. Pure: no I/O, problems returned.
 */
import { buildSchedule, type Parsed, type Schedule } from './schedule.js';

type Obj = Record<string, unknown>;

export type TriggerType = 'Scheduled' | 'OnDemand' | 'Event';
export type DataPullMode = 'Incremental' | 'Complete';

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

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The trigger of a flow activated at `activatedAt` (a rate schedule without a start is anchored there). */
export function readTrigger(triggerConfig: Obj, activatedAt: number): FlowTrigger {
  const type = (['Scheduled', 'Event'].includes(String(triggerConfig.triggerType)) ? triggerConfig.triggerType : 'OnDemand') as TriggerType;
  if (type !== 'Scheduled') return { type, dataPullMode: 'Incremental' };
  const props = ((triggerConfig.triggerProperties as Obj | undefined)?.Scheduled ?? {}) as Obj;
  const schedule = buildSchedule(
    {
      ScheduleExpression: String(props.scheduleExpression ?? ''),
      ScheduleStartTime: num(props.scheduleStartTime),
      ScheduleEndTime: num(props.scheduleEndTime),
      ScheduleOffset: num(props.scheduleOffset),
    },
    activatedAt,
  );
  return {
    type,
    dataPullMode: props.dataPullMode === 'Complete' ? 'Complete' : 'Incremental',
    schedule,
    firstExecutionFrom: num(props.firstExecutionFrom),
    deactivationThreshold: num(props.flowErrorDeactivationThreshold),
  };
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
