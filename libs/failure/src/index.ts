export type {
  Classification,
  ClassificationInboxKind,
  ClassifierInput,
  FailureAction,
  FailureClass,
} from './types';
export { classifyFailure } from './classify-failure';
export { actionFor, inboxKindFor } from './actions';
export type { BackoffPolicy } from './retry-delay';
export { retryDelayMs } from './retry-delay';
