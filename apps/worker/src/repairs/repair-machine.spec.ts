import type { RepairStatus } from '@mendflow/db';
import { describe, expect, it, vi } from 'vitest';
import {
  canMove,
  IllegalRepairMove,
  isResting,
  moveRepair,
  REPAIR_STEPS,
  REPAIR_TRANSITIONS,
  stepFor,
} from './repair-machine';

const ALL = Object.keys(REPAIR_TRANSITIONS) as RepairStatus[];

describe('the repair machine', () => {
  it('goes requested → proposed → validated → deployed | awaiting_approval | failed', () => {
    expect(REPAIR_TRANSITIONS).toEqual({
      requested: ['proposed', 'failed'],
      proposed: ['validated', 'failed'],
      validating: ['validated', 'failed'],
      validated: ['deployed', 'awaiting_approval', 'failed'],
      awaiting_approval: ['deployed', 'rejected'],
      deployed: [],
      failed: [],
      rejected: [],
    });
  });

  it('runs one step per moving status and rests at deployed, awaiting_approval, failed, rejected', () => {
    expect(ALL.map((s) => [s, stepFor(s)])).toEqual([
      ['requested', 'propose'],
      ['proposed', 'validate'],
      ['validating', 'validate'],
      ['validated', 'decide'],
      ['awaiting_approval', null],
      ['deployed', null],
      ['failed', null],
      ['rejected', null],
    ]);
    expect(ALL.filter(isResting)).toEqual(['awaiting_approval', 'deployed', 'failed', 'rejected']);
  });

  it('reads a row from before the machine (validating) as proposed', () => {
    expect(REPAIR_TRANSITIONS.validating).toEqual(REPAIR_TRANSITIONS.proposed);
    expect(REPAIR_STEPS.validating).toBe(REPAIR_STEPS.proposed);
    // and never writes it
    expect(ALL.some((s) => canMove(s, 'validating'))).toBe(false);
  });

  it('lets every worker step fail, and nothing leave a final status', () => {
    for (const status of Object.keys(REPAIR_STEPS) as RepairStatus[])
      expect(canMove(status, 'failed')).toBe(true);
    for (const status of ['deployed', 'failed', 'rejected'] as const)
      expect(ALL.filter((to) => canMove(status, to))).toEqual([]);
  });

  it('never skips a step, goes back, or deploys what a person must approve first', () => {
    expect(canMove('requested', 'validated')).toBe(false);
    expect(canMove('requested', 'deployed')).toBe(false);
    expect(canMove('proposed', 'deployed')).toBe(false);
    expect(canMove('validated', 'proposed')).toBe(false);
    expect(canMove('awaiting_approval', 'failed')).toBe(false);
    expect(canMove('validated', 'rejected')).toBe(false);
  });

  it('makes every step of a path reach a resting status', () => {
    const reachable = new Set<RepairStatus>();
    const walk = (s: RepairStatus) => {
      if (reachable.has(s)) return;
      reachable.add(s);
      REPAIR_TRANSITIONS[s].forEach(walk);
    };
    walk('requested');
    expect([...reachable].sort()).toEqual(
      ['awaiting_approval', 'deployed', 'failed', 'proposed', 'rejected', 'requested', 'validated'].sort(),
    );
  });
});

describe('moveRepair', () => {
  it('asks the repository to move only from the status the repair was read in', async () => {
    const repairs = { transition: vi.fn().mockResolvedValue(true) };
    await expect(
      moveRepair(repairs, 'w', { id: 'r', status: 'proposed' }, 'validated', {
        validation: { passed: true },
      }),
    ).resolves.toBe(true);
    expect(repairs.transition).toHaveBeenCalledWith('w', 'r', 'proposed', 'validated', {
      validation: { passed: true },
    });
  });

  it('moves a legacy validating row from validating', async () => {
    const repairs = { transition: vi.fn().mockResolvedValue(true) };
    await moveRepair(repairs, 'w', { id: 'r', status: 'validating' }, 'failed');
    expect(repairs.transition).toHaveBeenCalledWith('w', 'r', 'validating', 'failed', {});
  });

  it('reports a move another delivery made first', async () => {
    const repairs = { transition: vi.fn().mockResolvedValue(false) };
    await expect(moveRepair(repairs, 'w', { id: 'r', status: 'requested' }, 'proposed')).resolves.toBe(false);
  });

  it('refuses a move the table does not have, without touching the repository', async () => {
    const repairs = { transition: vi.fn() };
    await expect(moveRepair(repairs, 'w', { id: 'r', status: 'deployed' }, 'failed')).rejects.toThrow(
      new IllegalRepairMove('r', 'deployed', 'failed'),
    );
    expect(repairs.transition).not.toHaveBeenCalled();
  });
});
