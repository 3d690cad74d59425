'use client';

import {
  Alert,
  Button,
  Code,
  Group,
  JsonInput,
  List,
  Modal,
  SegmentedControl,
  Stack,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlayerPause, IconPlayerPlay, IconPlus } from '@tabler/icons-react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { type ApiError, type Automation, type Diagnostic, type ScriptLanguage, toApiError } from '@/lib/api';
import { useCan } from '@/lib/session';
import { useCreateAutomation, useSetAutomationStatus, useStartRun } from '@/lib/queries';

type Size = 'xs' | 'sm' | 'md';

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : 'Not valid JSON' };
  }
}

type RunNowProps = Parameters<typeof RunNow>[0];

/** "Run now", for roles that may start runs (editors and above); nothing otherwise. */
export function RunNowButton(props: RunNowProps) {
  return useCan('runs:write') ? <RunNow {...props} /> : null;
}

/** "Run now": asks for the run's input as JSON (validated), starts the run and opens its page. */
function RunNow({
  automation,
  size = 'sm',
  variant = 'filled',
}: {
  automation: Pick<Automation, 'id' | 'name' | 'status'>;
  size?: Size;
  variant?: 'filled' | 'light' | 'default';
}) {
  const router = useRouter();
  const [opened, setOpened] = useState(false);
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const startRun = useStartRun();
  const paused = automation.status === 'paused';
  const parsed = parseJson(input);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!parsed.ok) {
      setError(`The input is not valid JSON: ${parsed.message}`);
      return;
    }
    setSubmitting(true);
    setError(null);
    try {
      const run = await startRun.mutateAsync({ automationId: automation.id, input: parsed.value ?? {} });
      notifications.show({ color: 'teal', title: 'Run started', message: `${automation.name} is queued.` });
      setOpened(false);
      router.push(`/runs/${run.id}`);
    } catch (err) {
      const apiError = toApiError(err);
      setError(
        apiError.code === 'AUTOMATION_PAUSED'
          ? 'This automation is paused. Resume it to start runs.'
          : apiError.code === 'RUN_INPUT_INVALID' || apiError.code === 'VALIDATION_FAILED'
            ? `The input was refused: ${apiError.message}`
            : apiError.message,
      );
    } finally {
      setSubmitting(false);
    }
  }

  const button = (
    <Button
      size={size}
      variant={variant}
      leftSection={<IconPlayerPlay size={14} />}
      onClick={() => {
        setError(null);
        setOpened(true);
      }}
      disabled={paused}
      aria-label={`Run now: ${automation.name}`}
      data-testid="run-now"
    >
      Run now
    </Button>
  );

  return (
    <>
      {paused ? (
        <Tooltip label="Paused: resume the automation to run it">
          <span>{button}</span>
        </Tooltip>
      ) : (
        button
      )}
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={`Run “${automation.name}” now`}
        size="lg"
      >
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <JsonInput
              label="Input"
              description="JSON passed to the script as its first argument. Leave {} for none."
              value={input}
              onChange={setInput}
              formatOnBlur
              autosize
              minRows={6}
              maxRows={18}
              validationError="Not valid JSON"
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              data-testid="run-input"
              data-autofocus
            />
            {error ? (
              <Alert color="red" variant="light" role="alert">
                {error}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpened(false)}>
                Cancel
              </Button>
              <Button
                type="submit"
                loading={submitting}
                disabled={!parsed.ok}
                leftSection={<IconPlayerPlay size={14} />}
                data-testid="run-now-submit"
              >
                Start run
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

type PauseResumeProps = Parameters<typeof PauseResume>[0];

/** Pause or resume, for roles that may change automations; nothing otherwise. */
export function PauseResumeButton(props: PauseResumeProps) {
  return useCan('automations:write') ? <PauseResume {...props} /> : null;
}

/** Pause or resume an automation (paused automations refuse new runs). */
function PauseResume({
  automation,
  size = 'sm',
  onChanged,
}: {
  automation: Pick<Automation, 'id' | 'name' | 'status'>;
  size?: Size;
  onChanged?: (status: 'active' | 'paused') => void;
}) {
  const [busy, setBusy] = useState(false);
  const setAutomationStatus = useSetAutomationStatus();
  const paused = automation.status === 'paused';
  async function toggle() {
    setBusy(true);
    const status = paused ? 'active' : 'paused';
    try {
      await setAutomationStatus.mutateAsync({ id: automation.id, status });
      onChanged?.(status);
      notifications.show({
        color: paused ? 'teal' : 'gray',
        title: paused ? 'Resumed' : 'Paused',
        message: paused
          ? `${automation.name} runs again.`
          : `${automation.name} starts no new runs until resumed.`,
      });
    } catch (err) {
      notifications.show({
        color: 'red',
        title: 'Could not change the status',
        message: toApiError(err).message,
      });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Button
      size={size}
      variant="default"
      loading={busy}
      onClick={() => void toggle()}
      leftSection={paused ? <IconPlayerPlay size={14} /> : <IconPlayerPause size={14} />}
      aria-label={`${paused ? 'Resume' : 'Pause'} ${automation.name}`}
    >
      {paused ? 'Resume' : 'Pause'}
    </Button>
  );
}

const TEMPLATE = `export default async function run(input, ctx) {
  ctx.log.info('hello', { input });
  return { ok: true };
}
`;

/** "New automation", for roles that may write automations; nothing otherwise. */
export function NewAutomationButton(props: { size?: Size }) {
  return useCan('automations:write') ? <NewAutomation {...props} /> : null;
}

/** Creates an automation (version 1 is linted and deployed); shows lint diagnostics and manifest issues. */
function NewAutomation({ size = 'sm' }: { size?: Size }) {
  const router = useRouter();
  const [opened, setOpened] = useState(false);
  const [name, setName] = useState('');
  const [source, setSource] = useState(TEMPLATE);
  // 'detect': the API decides from the source (a source that type stripping changes is TypeScript).
  const [language, setLanguage] = useState<ScriptLanguage | 'detect'>('detect');
  const [manifest, setManifest] = useState('{}');
  const [error, setError] = useState<ApiError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const createAutomation = useCreateAutomation();
  const parsedManifest = parseJson(manifest);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim() || !source.trim() || !parsedManifest.ok) return;
    setSubmitting(true);
    setError(null);
    try {
      const created = await createAutomation.mutateAsync({
        name: name.trim(),
        source,
        manifest: parsedManifest.value,
        ...(language !== 'detect' && { language }),
      });
      notifications.show({
        color: 'teal',
        title: 'Automation created',
        message: `${created.name}, version 1, is deployed.`,
      });
      setOpened(false);
      router.push(`/automations/${created.id}`);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setSubmitting(false);
    }
  }

  const details = error?.details as
    { diagnostics?: Diagnostic[]; issues?: { path: string; message: string }[] } | undefined;

  return (
    <>
      <Button size={size} leftSection={<IconPlus size={14} />} onClick={() => setOpened(true)}>
        New automation
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title="New automation" size="xl">
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <TextInput
              label="Name"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-autofocus
              maxLength={200}
            />
            <Textarea
              label="Script"
              description="An ES module whose default export is called once per attempt: run(input, ctx)."
              required
              autosize
              minRows={8}
              maxRows={20}
              value={source}
              onChange={(e) => setSource(e.currentTarget.value)}
              spellCheck={false}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
            />
            <Stack gap={4}>
              <Text size="sm" fw={500} id="new-automation-language">
                Language
              </Text>
              <SegmentedControl
                aria-labelledby="new-automation-language"
                value={language}
                onChange={(value) => setLanguage(value as ScriptLanguage | 'detect')}
                data={[
                  { value: 'detect', label: 'Detect' },
                  { value: 'javascript', label: 'JavaScript' },
                  { value: 'typescript', label: 'TypeScript' },
                ]}
              />
            </Stack>
            <JsonInput
              label="Manifest"
              description='Permissions, limits, retry and repair policy, e.g. { "permissions": { "hosts": ["api.example.com"] } }'
              value={manifest}
              onChange={setManifest}
              formatOnBlur
              autosize
              minRows={3}
              maxRows={12}
              validationError="Not valid JSON"
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
            />
            {error ? (
              <Alert
                color="red"
                variant="light"
                role="alert"
                title={
                  details?.diagnostics?.length
                    ? 'The script did not pass the checks'
                    : details?.issues?.length
                      ? 'The manifest is not valid'
                      : error.message
                }
              >
                {details?.diagnostics?.length ? (
                  <List size="sm" spacing={2}>
                    {details.diagnostics.map((d, i) => (
                      <List.Item key={i}>
                        <Code>
                          {d.line}:{d.column}
                        </Code>{' '}
                        {d.message}{' '}
                        {d.ruleId ? (
                          <Text span c="dimmed" size="xs">
                            ({d.ruleId})
                          </Text>
                        ) : null}
                      </List.Item>
                    ))}
                  </List>
                ) : null}
                {details?.issues?.length ? (
                  <List size="sm" spacing={2}>
                    {details.issues.map((issue, i) => (
                      <List.Item key={i}>
                        <Code>{issue.path || '(manifest)'}</Code> {issue.message}
                      </List.Item>
                    ))}
                  </List>
                ) : null}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpened(false)}>
                Cancel
              </Button>
              <Button
                type="submit"
                loading={submitting}
                disabled={!name.trim() || !source.trim() || !parsedManifest.ok}
              >
                Create and deploy
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
