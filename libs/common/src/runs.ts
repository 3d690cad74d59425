// The run lifecycle, inbox kinds and run errors are owned by @mendflow/contracts (browser-safe, shared
// with the dashboard); re-exported here so server code keeps one import for its ground types.
export {
  INBOX_ACTIONS,
  INBOX_KINDS,
  type InboxAction,
  type InboxKind,
  isTerminal,
  RUN_PRIORITY,
  RUN_STATUSES,
  RUN_TRIGGERS,
  type RunError,
  type RunStatus,
  type RunTrigger,
  type RunWaitingFor,
  TERMINAL_RUN_STATUSES,
} from '@mendflow/contracts';
