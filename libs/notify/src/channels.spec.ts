import { describe, expect, it } from 'vitest';
import { channelTarget, emailConfigSchema, splitConfig, topicsSchema } from './channels';

describe('channel configs', () => {
  it('keeps a Slack URL out of the stored config: it is the secret', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';
    expect(splitConfig('slack', { webhookUrl: url })).toEqual({
      config: { host: 'hooks.slack.com' },
      secret: url,
    });
    expect(channelTarget('slack', { host: 'hooks.slack.com' }, url)).toEqual({
      kind: 'slack',
      webhookUrl: url,
    });
  });

  it('refuses bad URLs, bad addresses, unknown fields and unknown topics', () => {
    expect(() => splitConfig('webhook', { url: 'ftp://x' })).toThrow(/http/);
    expect(() => splitConfig('webhook', { url: 'https://x.test', extra: 1 })).toThrow();
    const email = {
      to: ['ops@example.com'],
      from: 'mendflow@example.com',
      smtp: { host: 'smtp', port: 25, secure: false },
    };
    expect(emailConfigSchema.parse(email)).toEqual(email);
    expect(emailConfigSchema.safeParse({ ...email, to: ['not-an-address'] }).error?.issues[0]?.path).toEqual([
      'to',
      0,
    ]);
    expect(topicsSchema.safeParse(['inbox.opened', 'run.nope']).success).toBe(false);
    expect(topicsSchema.safeParse(['run.failed', 'run.failed']).success).toBe(false);
  });

  it('refuses a stored channel that cannot be sent through', () => {
    expect(() => channelTarget('webhook', { url: 'https://x.test' }, null)).toThrow(/signing secret/);
    expect(() => channelTarget('pager', {}, null)).toThrow(/unknown channel kind/);
  });
});
