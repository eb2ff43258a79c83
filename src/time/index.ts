/** Event time, windows, triggers and the operators built on them. */
export {
  WatermarkStrategy,
  type WatermarkGenerator,
  type WatermarkStrategyOptions,
  type TimestampAssigner,
} from './watermarks.ts';
export {
  TimeWindow,
  GlobalWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  GlobalWindows,
  windowStartWithOffset,
  mergeTimeWindows,
  type Window,
  type WindowAssigner,
  type WindowAssignerContext,
  type WindowMerge,
} from './windows.ts';
export {
  TriggerResult,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  PurgingTrigger,
  NeverTrigger,
  type Trigger,
  type TriggerContext,
  type OnMergeContext,
  type TriggerState,
} from './triggers.ts';
export { MergingWindowSet } from './merging-window-set.ts';
export { LATE_RECORDS_TAG, windowOperator, type WindowOperatorSpec } from './window-operator.ts';
export { type ProcessWindowFn, type ProcessWindowFunction, type ProcessWindowContext } from './window-functions.ts';
export { type IntervalJoinContext, type IntervalJoinFn } from './interval-join.ts';
