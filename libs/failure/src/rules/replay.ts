import { errorMessage, truncate } from '../describe';
import type { Rule } from './rule';

/**
 * A replay serves the recorded world, so when the script asks for host calls the recording does not
 * hold, the script's code is what differs: logic. This happens when replay-testing a repair candidate.
 */
export const replayRule: Rule = ({ error }) => {
  if (error.code !== 'REPLAY_MISMATCH') return undefined;
  return {
    class: 'logic',
    rule: 'replay.mismatch',
    reason: `the script made host calls the recorded attempt does not contain (replay mismatch: ${truncate(errorMessage(error), 160)})`,
    evidence: { code: 'REPLAY_MISMATCH' },
  };
};
