'use client';

import {
  Alert,
  Anchor,
  Box,
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { api, type ApiError, toApiError } from '@/lib/api';
import { useSession } from '@/lib/session';
import { Logo } from './logo';

/** Only same-site paths are followed after sign-in (no open redirect). */
function safeNext(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/login')) return '/';
  return value;
}

export function LoginView() {
  const { state, signedIn } = useSession();
  const router = useRouter();
  const next = safeNext(useSearchParams().get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [touched, setTouched] = useState(false);

  useEffect(() => {
    if (state.status === 'signed-in') router.replace(next);
  }, [state.status, next, router]);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (!email.trim() || !password) return;
    setSubmitting(true);
    setError(null);
    try {
      const session = await api.login(email.trim(), password);
      signedIn(session);
      router.replace(next);
    } catch (err) {
      setError(toApiError(err));
      setSubmitting(false);
    }
  }

  const message =
    error?.code === 'INVALID_CREDENTIALS'
      ? 'The email or password is wrong.'
      : error?.status === 429
        ? 'Too many attempts. Wait a moment and try again.'
        : error?.message;

  return (
    <Center
      mih="100vh"
      p="md"
      style={{
        background:
          'radial-gradient(1200px 500px at 50% -10%, var(--mantine-color-mend-light), transparent), var(--mantine-color-body)',
      }}
    >
      <Box w="100%" maw={400}>
        <Stack align="center" gap="xs" mb="lg">
          <Logo size={40} withText={false} />
          <Title order={1} size="h2" ta="center">
            Sign in to Mendflow
          </Title>
          <Text c="dimmed" size="sm" ta="center">
            Watch and steer your automations.
          </Text>
        </Stack>
        <Paper withBorder shadow="sm" p="xl" radius="lg">
          <form onSubmit={handleSubmit} noValidate aria-label="Sign in">
            <Stack gap="md">
              {error ? (
                <Alert
                  color="red"
                  variant="light"
                  icon={<IconAlertTriangle size={18} />}
                  role="alert"
                  data-testid="login-error"
                >
                  {message}
                </Alert>
              ) : null}
              <TextInput
                label="Email"
                name="email"
                type="email"
                autoComplete="username"
                autoFocus
                required
                value={email}
                onChange={(event) => setEmail(event.currentTarget.value)}
                error={touched && !email.trim() ? 'Enter your email' : undefined}
              />
              <PasswordInput
                label="Password"
                name="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(event) => setPassword(event.currentTarget.value)}
                error={touched && !password ? 'Enter your password' : undefined}
              />
              <Button type="submit" fullWidth loading={submitting} size="md">
                Sign in
              </Button>
            </Stack>
          </form>
        </Paper>
        <Text c="dimmed" size="xs" ta="center" mt="md">
          Scripts and agents use API keys instead (Settings → API keys).{' '}
          <Anchor href="/api/docs" size="xs">
            API reference
          </Anchor>
        </Text>
      </Box>
    </Center>
  );
}
