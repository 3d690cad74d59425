/**
 * Error text from a sender, made safe to store and show. Transports echo what they were given: an
 * SMTP server's reply may quote the AUTH exchange, a fetch error may carry the URL (a Slack URL is the
 * credential). Every secret of the channel is replaced, in the forms it travels in (as is,
 * URL-encoded, base64 on its own and inside AUTH PLAIN's `\0user\0password`), and any AUTH
 * continuation is cut whatever it holds.
 */
export const SCRUBBED = '***';

const MAX_ERROR_LENGTH = 500;

export function scrubError(
  message: string,
  secrets: readonly (string | null | undefined)[],
  options: { user?: string } = {},
): string {
  let text = message.replace(/\b(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2|CRAM-MD5))\s+\S+/gi, `$1 ${SCRUBBED}`);
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
    const base64 = Buffer.from(secret).toString('base64');
    forms.add(base64);
    forms.add(base64.replace(/=+$/, ''));
    if (options.user !== undefined) {
      forms.add(Buffer.from(`\u0000${options.user}\u0000${secret}`).toString('base64'));
    }
  }
  // Longest first, so a form containing another one is replaced whole.
  for (const form of [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length)) {
    text = text.split(form).join(SCRUBBED);
  }
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}
