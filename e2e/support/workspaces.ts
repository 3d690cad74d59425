import { type SessionClient, http, sessionFrom, signIn } from './session.ts';

export interface TestWorkspace {
  workspaceId: string;
  userId: string;
  email: string;
  password: string;
  apiKey: string;
}

async function expectOk<T = any>(what: string, answer: Promise<{ status: number; body: T }>, status = 200) {
  const { status: got, body } = await answer;
  if (got !== status) throw new Error(`${what}: expected ${status}, got ${got} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Another tenant next to the bootstrap one, made through the API the way people make one: the
 * bootstrap owner signs in, creates the workspace, switches to it and invites its future owner; that
 * person accepts the link with a password (and is signed in), creates an API key, and removes the
 * bootstrap owner (which also ends the bootstrap owner's session there), so the new workspace and the
 * first one share no member.
 */
export async function createWorkspace(apiUrl: string, name: string): Promise<TestWorkspace> {
  const email = `owner@${name.toLowerCase().replace(/\W/g, '-')}.test`;
  const password = `${name} password`;
  const founder = await signIn(apiUrl);
  const workspace = await expectOk(
    'create the workspace',
    founder.call('POST', '/api/v1/workspaces', { name }),
    201,
  );
  await expectOk('switch to it', founder.call('POST', `/api/v1/workspaces/${workspace.id}/switch`));
  const invitation = await expectOk(
    'invite its owner',
    founder.call('POST', '/api/v1/invitations', { email, role: 'owner' }),
    201,
  );
  const owner: SessionClient = sessionFrom(
    apiUrl,
    await http(apiUrl, 'POST', '/api/v1/invitations/accept', {
      body: { token: invitation.token, password },
    }),
  );
  const key = await expectOk(
    'create an API key',
    owner.call('POST', '/api/v1/api-keys', { name: 'e2e' }),
    201,
  );
  await expectOk(
    'remove the founder',
    owner.call('DELETE', `/api/v1/members/${founder.profile.user.id}`),
    204,
  );
  return { workspaceId: workspace.id, userId: owner.profile.user.id, email, password, apiKey: key.key };
}
