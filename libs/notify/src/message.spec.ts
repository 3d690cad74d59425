import { describe, expect, it } from 'vitest';
import { renderMessage } from './message';

const automation = { id: '00000000-0000-4000-8000-000000000001', name: 'sync-orders' };
const runId = '00000000-0000-4000-8000-000000000002';

describe('renderMessage', () => {
  it('says who needs a person, why, and links the run page', () => {
    const message = renderMessage(
      {
        topic: 'inbox.opened',
        automation,
        runId,
        inboxItemId: '00000000-0000-4000-8000-000000000003',
        kind: 'policy_violation',
        title: 'Blocked request to evil.test',
        reason: 'fetch to evil.test is not in permissions.network',
      },
      { webUrl: 'https://mendflow.example/' },
    );
    expect(message).toEqual({
      topic: 'inbox.opened',
      title: '[sync-orders] Action needed: Blocked request to evil.test',
      text: `sync-orders needs a person: fetch to evil.test is not in permissions.network\nOpen: https://mendflow.example/runs/${runId}`,
      url: `https://mendflow.example/runs/${runId}`,
      automation,
      runId,
      inboxItemId: '00000000-0000-4000-8000-000000000003',
      repairId: null,
      kind: 'policy_violation',
      reason: 'fetch to evil.test is not in permissions.network',
    });
  });

  it('titles approvals as such, and clips a long reason', () => {
    const message = renderMessage(
      {
        topic: 'inbox.opened',
        automation,
        runId,
        inboxItemId: runId,
        kind: 'approval',
        title: 'Refund 40 EUR?',
        reason: 'x'.repeat(5000),
      },
      { webUrl: 'http://localhost:3000' },
    );
    expect(message.title).toBe('[sync-orders] Approval requested: Refund 40 EUR?');
    expect(message.reason).toHaveLength(1000);
  });

  it('renders failed runs and deployed repairs', () => {
    const web = { webUrl: 'http://localhost:3000' };
    expect(renderMessage({ topic: 'run.failed', automation, runId, reason: 'rejected' }, web)).toMatchObject({
      title: '[sync-orders] Run failed',
      reason: 'rejected',
      inboxItemId: null,
    });
    expect(
      renderMessage({ topic: 'repair.deployed', automation, runId, repairId: runId, version: 4 }, web),
    ).toMatchObject({ title: '[sync-orders] Repair deployed as version 4', repairId: runId, reason: null });
  });
});
