'use client';

import { Alert, Button, Card, Group, NumberInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type RetentionSettings, retentionSettingsSchema } from '@mendflow/contracts';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type Retention, toApiError } from '@/lib/api';
import { queries, useSetRetention } from '@/lib/queries';
import { useCan } from '@/lib/session';
import { Facts, LoadingState, SectionTitle } from './ui';

type Field = keyof RetentionSettings;
const FIELDS: { field: Field; label: string; unit: string; description: string }[] = [
  {
    field: 'runRetentionDays',
    label: 'Keep runs for',
    unit: 'days',
    description: 'Finished runs older than this go, with their events, logs and recordings.',
  },
  {
    field: 'keepRunsPerAutomation',
    label: 'Always keep the last',
    unit: 'runs per automation',
    description: 'However old they are.',
  },
  {
    field: 'auditRetentionDays',
    label: 'Keep audit entries for',
    unit: 'days',
    description: 'At least as long as runs.',
  },
];

/**
 * The workspace's retention (docs/operations.md "Retention"): what it keeps, and what the next pass
 * would delete under it. Owners change it; everyone else reads it.
 */
export function RetentionSettingsCard() {
  const retention = useQuery(queries.retention());
  const canManage = useCan('workspace:manage');
  return (
    <Card data-testid="retention-settings">
      <SectionTitle>Retention</SectionTitle>
      <Text size="sm" c="dimmed" mb="md">
        Runs that are waiting, queued or running, and runs with an open inbox item or a repair under way, are
        never deleted.
      </Text>
      {retention.isPending ? (
        <LoadingState rows={3} />
      ) : retention.error ? (
        <Alert color="red" variant="light" title="Could not load retention">
          {retention.error.message}
        </Alert>
      ) : canManage ? (
        <RetentionForm key={settingsKey(retention.data)} retention={retention.data} />
      ) : (
        <Stack gap="sm">
          <Facts
            items={FIELDS.map(({ field, label, unit }) => ({
              label,
              value: `${retention.data[field]} ${unit}`,
            }))}
          />
          <Due retention={retention.data} />
          <Text size="xs" c="dimmed">
            Only an owner changes retention.
          </Text>
        </Stack>
      )}
    </Card>
  );
}

function settingsKey(r: Retention): string {
  return `${r.runRetentionDays}/${r.keepRunsPerAutomation}/${r.auditRetentionDays}`;
}

function Due({ retention }: { retention: Retention }) {
  const { runs, auditEntries } = retention.due;
  return (
    <Text size="sm" data-testid="retention-due">
      {runs === 0 && auditEntries === 0
        ? 'Nothing is due for deletion now.'
        : `Due for deletion now: ${runs} run${runs === 1 ? '' : 's'} and ${auditEntries} audit entr${auditEntries === 1 ? 'y' : 'ies'}.`}
    </Text>
  );
}

function RetentionForm({ retention }: { retention: Retention }) {
  const save = useSetRetention();
  const [values, setValues] = useState<Record<Field, number | string>>({
    runRetentionDays: retention.runRetentionDays,
    keepRunsPerAutomation: retention.keepRunsPerAutomation,
    auditRetentionDays: retention.auditRetentionDays,
  });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<string | null>(null);

  /** The same rules as the API's (one schema): a message under each field that breaks one. */
  function check(): RetentionSettings | null {
    const parsed = retentionSettingsSchema.safeParse({
      runRetentionDays: Number(values.runRetentionDays),
      keepRunsPerAutomation: Number(values.keepRunsPerAutomation),
      auditRetentionDays: Number(values.auditRetentionDays),
    });
    if (parsed.success) {
      setErrors({});
      return parsed.data;
    }
    setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
    return null;
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const settings = check();
    if (!settings) return;
    try {
      await save.mutateAsync(settings);
      notifications.show({ color: 'green', title: 'Retention saved', message: 'The next pass follows it.' });
    } catch (err) {
      const apiError = toApiError(err);
      const issues = (apiError.details as { issues?: { path: string; message: string }[] } | undefined)
        ?.issues;
      if (issues?.length) setErrors(Object.fromEntries(issues.map((i) => [i.path, i.message])));
      else setError(apiError.message);
    }
  }

  const { defaults, limits } = retention;
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Retention settings" noValidate>
      <Stack gap="sm">
        {FIELDS.map(({ field, label, unit, description }) => (
          <NumberInput
            key={field}
            label={`${label} (${unit})`}
            description={`${description} Default ${defaults[field]}.`}
            value={values[field]}
            onChange={(value) => setValues((v) => ({ ...v, [field]: value }))}
            min={field === 'keepRunsPerAutomation' ? 0 : 1}
            max={field === 'keepRunsPerAutomation' ? limits.maxKeepRuns : limits.maxDays}
            allowDecimal={false}
            clampBehavior="none"
            error={errors[field]}
          />
        ))}
        <Due retention={retention} />
        {error ? (
          <Alert color="red" variant="light" title="Could not save">
            {error}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" variant="default" loading={save.isPending}>
            Save retention
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
