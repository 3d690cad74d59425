import { errorMessage, truncate } from '../describe';
import type { Rule } from './rule';

/**
 * A replay serves the recorded world, so when the script asks for host calls the recording does not
 * hold, the script's code is what differs: logic. This happens when replay-testing a repair candidate,
 * and when a waiting run resumes (the script runs again from the start and must make the same calls
 * before its wait) but its code or its dependence on something other than ctx changed.
 *
 * A wait started beside other host calls (WAIT_WHILE_BUSY) is logic too: the script must await its
 * other calls first, which a repair can do.
 */
export const replayRule: Rule = ({ error }) => {
  const detail = truncate(errorMessage(error), 160);
  switch (error.code) {
    case 'REPLAY_MISMATCH':
      return {
        class: 'logic',
        rule: 'replay.mismatch',
        reason: `the script made host calls the recorded attempt does not contain (replay mismatch: ${detail})`,
        evidence: { code: 'REPLAY_MISMATCH' },
      };
    case 'RESUME_MISMATCH':
      return {
        class: 'logic',
        rule: 'resume.mismatch',
        reason: `the resumed script did not make the calls it made before its wait (resume mismatch: ${detail})`,
        evidence: { code: 'RESUME_MISMATCH' },
      };
    case 'WAIT_WHILE_BUSY':
      return {
        class: 'logic',
        rule: 'wait.while_busy',
        reason: `the script waited while other host calls were in flight; it must await them first (${detail})`,
        evidence: { code: 'WAIT_WHILE_BUSY' },
      };
    default:
      return undefined;
  }
};
