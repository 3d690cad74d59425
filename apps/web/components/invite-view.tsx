'use client';

import {
  Alert,
  Anchor,
  Box,
  Button,
  Center,
  Loader,
  Paper,
  PasswordInput,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconMailOpened } from '@tabler/icons-react';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, type ApiError, type InvitationPreview, toApiError } from '@/lib/api';
import { useSession } from '@/lib/session';
import { Logo } from './logo';
import { ROLE_LABEL } from './members-section';
import { TimeAgo } from './ui';

/** The invitation token rides in the link's fragment (`/invite#token=…`), which browsers never send to a server. */
function tokenFromHash(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  return new URLSearchParams(hash).get('token');
}

type Loaded =
  | { status: 'loading' }
  | { status: 'missing' }
  | { status: 'error'; error: ApiError }
  | { status: 'ready'; token: string; preview: InvitationPreview };

/** Accepting an invitation: someone new sets a password; someone with an account signs in and joins. */
export function InviteView() {
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const onHash = () => setGeneration((g) => g + 1);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const token = tokenFromHash();
    if (!token) {
      setLoaded({ status: 'missing' });
      return;
    }
    const controller = new AbortController();
    setLoaded({ status: 'loading' });
    api.previewInvitation(token, controller.signal).then(
      (preview) => setLoaded({ status: 'ready', token, preview }),
      (err: unknown) => {
        if (!controller.signal.aborted) setLoaded({ status: 'error', error: toApiError(err) });
      },
    );
    return () => controller.abort();
  }, [generation]);

  return (
    <Center
      mih="100vh"
      p="md"
      style={{
        background:
          'radial-gradient(1200px 500px at 50% -10%, var(--mantine-color-mend-light), transparent), var(--mantine-color-body)',
      }}
    >
      <Box w="100%" maw={440}>
        <Stack align="center" gap="xs" mb="lg">
          <Logo size={40} withText={false} />
          <Title order={1} size="h2" ta="center">
            {loaded.status === 'ready' ? `Join ${loaded.preview.workspace.name}` : 'Join a workspace'}
          </Title>
        </Stack>
        <Paper withBorder shadow="sm" p="xl" radius="lg" data-testid="invite-card">
          {loaded.status === 'loading' ? (
            <Center role="status" aria-label="Loading the invitation">
              <Loader />
            </Center>
          ) : loaded.status === 'missing' ? (
            <Problem title="This link is incomplete">
              Open the whole invitation link you were given; it ends in <code>#token=…</code>.
            </Problem>
          ) : loaded.status === 'error' ? (
            <Problem
              title={
                loaded.error.status === 404
                  ? 'This invitation link is not valid'
                  : 'Could not load the invitation'
              }
            >
              {loaded.error.status === 404
                ? 'Check that you copied the whole link, or ask for a new invitation.'
                : loaded.error.message}
            </Problem>
          ) : (
            <Invitation token={loaded.token} preview={loaded.preview} />
          )}
        </Paper>
      </Box>
    </Center>
  );
}

function Problem({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={title} role="alert">
      {children}
    </Alert>
  );
}

function Invitation({ token, preview }: { token: string; preview: InvitationPreview }) {
  const intro = (
    <Stack gap={4} mb="md">
      <Text size="sm">
        {preview.invitedBy ? `${preview.invitedBy} invites` : 'You are invited:'} <b>{preview.email}</b> to{' '}
        <b>{preview.workspace.name}</b> as {ROLE_LABEL[preview.role].toLowerCase()}.
      </Text>
      {preview.state === 'pending' ? (
        <Text size="xs" c="dimmed">
          The link expires <TimeAgo iso={preview.expiresAt} size="xs" future />.
        </Text>
      ) : null}
    </Stack>
  );
  if (preview.state === 'accepted') {
    return (
      <>
        {intro}
        <Alert color="gray" variant="light" icon={<IconMailOpened size={18} />} title="Already accepted">
          This invitation was used. <Anchor href="/login">Sign in</Anchor> instead.
        </Alert>
      </>
    );
  }
  if (preview.state !== 'pending') {
    return (
      <>
        {intro}
        <Problem
          title={
            preview.state === 'expired' ? 'This invitation has expired' : 'This invitation was withdrawn'
          }
        >
          Ask someone in {preview.workspace.name} for a new one.
        </Problem>
      </>
    );
  }
  return (
    <>
      {intro}
      {preview.accountExists ? (
        <JoinWithAccount token={token} preview={preview} />
      ) : (
        <CreateAccount token={token} preview={preview} />
      )}
    </>
  );
}

function CreateAccount({ token, preview }: { token: string; preview: InvitationPreview }) {
  const { signedIn } = useSession();
  const router = useRouter();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [touched, setTouched] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const tooShort = password.length < 8;
  const mismatch = repeat !== password;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (tooShort || mismatch) return;
    setSubmitting(true);
    setError(null);
    try {
      const session = await api.acceptInvitation(token, password);
      signedIn(session);
      router.replace('/');
    } catch (err) {
      setError(toApiError(err).message);
      setSubmitting(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Accept the invitation">
      <Stack gap="md">
        {error ? (
          <Alert color="red" variant="light" role="alert" data-testid="invite-error">
            {error}
          </Alert>
        ) : null}
        <Text size="sm" c="dimmed">
          Choose a password for {preview.email}. You will sign in with it from now on.
        </Text>
        <input type="email" name="email" autoComplete="username" value={preview.email} readOnly hidden />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={touched && tooShort ? 'At least 8 characters' : undefined}
          autoFocus
        />
        <PasswordInput
          label="Repeat the password"
          name="repeat"
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.currentTarget.value)}
          error={touched && mismatch ? 'The passwords differ' : undefined}
        />
        <Button type="submit" fullWidth size="md" loading={submitting}>
          Join {preview.workspace.name}
        </Button>
      </Stack>
    </form>
  );
}

function JoinWithAccount({ token, preview }: { token: string; preview: InvitationPreview }) {
  const { state, signedIn, signOut } = useSession();
  const [joining, setJoining] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const here = `/invite#token=${token}`;

  if (state.status === 'loading') {
    return (
      <Center role="status" aria-label="Loading">
        <Loader size="sm" />
      </Center>
    );
  }
  if (state.status !== 'signed-in') {
    return (
      <Stack gap="sm">
        <Text size="sm">{preview.email} already has a Mendflow account: sign in with it to accept.</Text>
        <Button component="a" href={`/login?next=${encodeURIComponent(here)}`} fullWidth size="md">
          Sign in to accept
        </Button>
      </Stack>
    );
  }
  if (state.session.user.email !== preview.email) {
    return (
      <Stack gap="sm">
        <Alert color="yellow" variant="light">
          You are signed in as {state.session.user.email}, but this invitation is for {preview.email}.
        </Alert>
        <Button variant="default" onClick={() => void signOut()}>
          Sign out, then sign in as {preview.email}
        </Button>
      </Stack>
    );
  }

  async function join() {
    setJoining(true);
    setError(null);
    try {
      const session = await api.joinInvitation(token);
      signedIn(session);
      // A fresh start in the workspace just joined (lists and live updates).
      window.location.assign('/');
    } catch (err) {
      setError(toApiError(err).message);
      setJoining(false);
    }
  }

  return (
    <Stack gap="sm">
      {error ? (
        <Alert color="red" variant="light" role="alert" data-testid="invite-error">
          {error}
        </Alert>
      ) : null}
      <Text size="sm">Signed in as {state.session.user.email}.</Text>
      <Button fullWidth size="md" loading={joining} onClick={() => void join()}>
        Join {preview.workspace.name}
      </Button>
    </Stack>
  );
}
