'use client';

import type { RepairStatus } from '@mendflow/contracts';

import {
  Accordion,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Code,
  Grid,
  Group,
  Modal,
  Stack,
  Table,
  Tabs,
  Text,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowBackUp, IconCode, IconFileDescription, IconHistory, IconTool } from '@tabler/icons-react';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import type { Repair, ScriptLanguage, Version } from '@/lib/api';
import { canonicalJson, unifiedDiff } from '@/lib/diff';
import { formatAbsolute, formatPercent, shortId } from '@/lib/format';
import { useCan, useSignedIn } from '@/lib/session';
import { queries, useRollback } from '@/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { PauseResumeButton, RunNowButton } from './automation-actions';
import { ExportBundleButton } from './bundle-actions';
import { AutomationTriggers } from './automation-triggers';
import { DiffView } from './diff-view';
import {
  AuthorBadge,
  CodeBlock,
  EmptyState,
  ErrorState,
  Facts,
  JsonBlock,
  LoadingState,
  PageHeader,
  RunStatusBadge,
  SectionTitle,
  TimeAgo,
} from './ui';

const REPAIR_COLORS: Record<RepairStatus, string> = {
  requested: 'gray',
  proposed: 'blue',
  validating: 'blue',
  validated: 'cyan',
  deployed: 'teal',
  awaiting_approval: 'indigo',
  rejected: 'red',
  failed: 'red',
};

export function AutomationView({ id }: { id: string }) {
  const { user } = useSignedIn();
  const automation = useQuery(queries.automation(id));
  const versions = useQuery(queries.versions(id));
  const runs = useQuery(queries.runs({ automationId: id, limit: 10 }));
  const repairs = useQuery(queries.repairs({ automationId: id }));

  if (automation.error && !automation.data) {
    return (
      <>
        <PageHeader title="Automation" eyebrow={<Crumbs name="Not found" />} />
        <ErrorState
          error={automation.error}
          title={
            automation.error.status === 404
              ? 'This automation does not exist'
              : 'Could not load the automation'
          }
          onRetry={automation.error.status === 404 ? undefined : () => void automation.refetch()}
        />
      </>
    );
  }
  if (automation.isPending || !automation.data) return <LoadingState label="Loading automation…" rows={6} />;

  const a = automation.data;
  const deployed = a.deployedVersion;
  const stats = a.stats;
  return (
    <>
      <PageHeader
        eyebrow={<Crumbs name={a.name} />}
        title={a.name}
        badge={
          <Badge color={a.status === 'active' ? 'teal' : 'gray'} variant="light">
            {a.status === 'active' ? 'Active' : 'Paused'}
          </Badge>
        }
        description={a.description || undefined}
        actions={
          <>
            <ExportBundleButton automation={a} />
            <PauseResumeButton automation={a} />
            <RunNowButton automation={a} />
          </>
        }
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="lg">
            <Card>
              <Tabs defaultValue="code" keepMounted={false}>
                <Tabs.List mb="md">
                  <Tabs.Tab value="code" leftSection={<IconCode size={16} />}>
                    Code{deployed ? ` (v${deployed.number}, ${languageLabel(deployed.language)})` : ''}
                  </Tabs.Tab>
                  <Tabs.Tab value="manifest" leftSection={<IconFileDescription size={16} />}>
                    Manifest
                  </Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="code">
                  {deployed ? (
                    <CodeBlock
                      code={deployed.source}
                      language={deployed.language}
                      lineNumbers
                      maxHeight={560}
                    />
                  ) : (
                    <Text c="dimmed">No version is deployed.</Text>
                  )}
                </Tabs.Panel>
                <Tabs.Panel value="manifest">
                  <JsonBlock value={deployed?.manifest ?? {}} />
                </Tabs.Panel>
              </Tabs>
            </Card>

            <Card>
              <SectionTitle>Versions</SectionTitle>
              {versions.error && !versions.data ? (
                <ErrorState
                  error={versions.error}
                  title="Could not load versions"
                  onRetry={() => void versions.refetch()}
                />
              ) : versions.isPending || !versions.data ? (
                <LoadingState rows={3} />
              ) : (
                <VersionList
                  automationId={a.id}
                  versions={versions.data.items}
                  deployedNumber={deployed?.number ?? null}
                  userId={user.id}
                />
              )}
            </Card>
          </Stack>
        </Grid.Col>

        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="lg">
            <Card>
              <SectionTitle>Details</SectionTitle>
              <Facts
                items={[
                  {
                    label: 'Deployed',
                    value: deployed ? (
                      <Group gap={6}>
                        <Text size="sm" fw={600}>
                          v{deployed.number}
                        </Text>
                        <AuthorBadge author={deployed.createdBy} currentUserId={user.id} />
                      </Group>
                    ) : (
                      'None'
                    ),
                  },
                  { label: 'Latest version', value: `v${a.latestVersion}` },
                  { label: 'Success rate', value: formatPercent(stats?.successRate ?? null) },
                  { label: 'Runs (7 d)', value: String(stats?.runsLast7Days ?? 0) },
                  {
                    label: 'Open inbox',
                    value:
                      (stats?.openInboxItems ?? 0) > 0 ? (
                        <Anchor component={Link} href="/inbox" size="sm">
                          {stats?.openInboxItems} open
                        </Anchor>
                      ) : (
                        '0'
                      ),
                  },
                  { label: 'Created', value: <TimeAgo iso={a.createdAt} /> },
                  { label: 'ID', value: <Code>{a.id}</Code> },
                ]}
              />
            </Card>

            <AutomationTriggers
              automationId={a.id}
              paused={a.status === 'paused'}
              declared={declaresTriggers(deployed?.manifest)}
            />

            <Card>
              <SectionTitle
                right={
                  <Anchor component={Link} href={`/runs?automationId=${a.id}`} size="sm">
                    All runs
                  </Anchor>
                }
              >
                Recent runs
              </SectionTitle>
              {runs.error && !runs.data ? (
                <ErrorState
                  error={runs.error}
                  title="Could not load runs"
                  onRetry={() => void runs.refetch()}
                />
              ) : runs.isPending || !runs.data ? (
                <LoadingState rows={3} />
              ) : runs.data.items.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No runs yet. Start one with “Run now”.
                </Text>
              ) : (
                <Table verticalSpacing={6} aria-label="Recent runs">
                  <Table.Tbody>
                    {runs.data.items.map((run) => (
                      <Table.Tr key={run.id}>
                        <Table.Td>
                          <RunStatusBadge status={run.status} size="sm" testId="run-row-status" />
                        </Table.Td>
                        <Table.Td>
                          <Anchor component={Link} href={`/runs/${run.id}`} ff="monospace" size="sm">
                            {shortId(run.id)}
                          </Anchor>
                          <Text span size="xs" c="dimmed">
                            {' '}
                            v{run.versionNumber}
                          </Text>
                        </Table.Td>
                        <Table.Td ta="right">
                          <TimeAgo iso={run.createdAt} size="xs" c="dimmed" />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>

            <Card>
              <SectionTitle>Repairs</SectionTitle>
              {repairs.error && !repairs.data ? (
                <ErrorState
                  error={repairs.error}
                  title="Could not load repairs"
                  onRetry={() => void repairs.refetch()}
                />
              ) : repairs.isPending || !repairs.data ? (
                <LoadingState rows={2} />
              ) : repairs.data.items.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No repairs. When a run fails with a logic error and a repair provider is configured,
                  proposed fixes appear here.
                </Text>
              ) : (
                <RepairList repairs={repairs.data.items} />
              )}
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}

/** How a version's language reads in the dashboard. */
function languageLabel(language: ScriptLanguage): string {
  return language === 'typescript' ? 'TypeScript' : 'JavaScript';
}

function Crumbs({ name }: { name: string }) {
  return (
    <Breadcrumbs separator="/" fz="sm">
      <Anchor component={Link} href="/automations" size="sm">
        Automations
      </Anchor>
      <Text size="sm" c="dimmed" truncate maw={240}>
        {name}
      </Text>
    </Breadcrumbs>
  );
}

function VersionList({
  automationId,
  versions,
  deployedNumber,
  userId,
}: {
  automationId: string;
  versions: Version[];
  deployedNumber: number | null;
  userId: string;
}) {
  const canDeploy = useCan('automations:write');
  // Newest first; each version is compared with the one before it.
  const diffs = useMemo(() => {
    const byNumber = new Map(versions.map((v) => [v.number, v]));
    return new Map(
      versions.map((v) => {
        const previous = [...byNumber.keys()]
          .filter((n) => n < v.number)
          .sort((x, y) => y - x)
          .map((n) => byNumber.get(n)!)[0];
        if (!previous) return [v.number, null] as const;
        return [
          v.number,
          {
            previous: previous.number,
            source: unifiedDiff(
              `v${previous.number}/script.js`,
              `v${v.number}/script.js`,
              previous.source,
              v.source,
            ),
            manifest: unifiedDiff(
              `v${previous.number}/manifest.json`,
              `v${v.number}/manifest.json`,
              canonicalJson(previous.manifest),
              canonicalJson(v.manifest),
            ),
          },
        ] as const;
      }),
    );
  }, [versions]);
  const [rollbackTo, setRollbackTo] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const rollbackMutation = useRollback();

  async function rollback(version: number) {
    setBusy(true);
    try {
      await rollbackMutation.mutateAsync({ automationId, version });
      notifications.show({
        color: 'teal',
        title: 'Rolled back',
        message: `Version ${version} is deployed again.`,
      });
      setRollbackTo(null);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Rollback failed', message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  if (versions.length === 0) return <Text c="dimmed">No versions.</Text>;
  return (
    <>
      <Accordion
        variant="separated"
        multiple
        defaultValue={versions.length > 1 ? [String(versions[0]!.number)] : []}
        chevronPosition="left"
      >
        {versions.map((v) => {
          const change = diffs.get(v.number);
          return (
            <Accordion.Item key={v.id} value={String(v.number)} data-testid="version-item">
              <Accordion.Control aria-label={`Version ${v.number}`}>
                <Group gap="sm" wrap="wrap" justify="space-between">
                  <Group gap="sm" wrap="wrap">
                    <Text fw={600}>v{v.number}</Text>
                    {v.number === deployedNumber ? (
                      <Badge color="teal" variant="filled" size="sm">
                        Deployed
                      </Badge>
                    ) : null}
                    <Badge variant="light" color="gray" size="sm">
                      {languageLabel(v.language)}
                    </Badge>
                    <AuthorBadge author={v.createdBy} currentUserId={userId} />
                    <TimeAgo iso={v.createdAt} size="xs" c="dimmed" />
                  </Group>
                  {change ? (
                    <Group gap={4}>
                      <Badge size="xs" color="teal" variant="light">
                        +{change.source.added + change.manifest.added}
                      </Badge>
                      <Badge size="xs" color="red" variant="light">
                        −{change.source.removed + change.manifest.removed}
                      </Badge>
                    </Group>
                  ) : (
                    <Text size="xs" c="dimmed">
                      Initial version
                    </Text>
                  )}
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <Stack gap="md">
                  {change ? (
                    <>
                      <DiffView
                        diff={change.source.text}
                        label={`Script: v${change.previous} → v${v.number}`}
                        maxHeight={400}
                      />
                      {change.manifest.text ? (
                        <DiffView
                          diff={change.manifest.text}
                          label={`Manifest: v${change.previous} → v${v.number}`}
                        />
                      ) : (
                        <Text size="xs" c="dimmed">
                          Manifest unchanged.
                        </Text>
                      )}
                    </>
                  ) : (
                    <CodeBlock code={v.source} language={v.language} maxHeight={240} />
                  )}
                  {v.number !== deployedNumber && canDeploy ? (
                    <Group>
                      <Button
                        size="xs"
                        variant="default"
                        leftSection={<IconArrowBackUp size={14} />}
                        onClick={() => setRollbackTo(v.number)}
                      >
                        Deploy v{v.number} again
                      </Button>
                    </Group>
                  ) : null}
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
          );
        })}
      </Accordion>
      <Modal opened={rollbackTo !== null} onClose={() => setRollbackTo(null)} title="Roll back?">
        <Stack>
          <Text size="sm">
            New runs will use version {rollbackTo}. Runs already in progress keep their version.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRollbackTo(null)}>
              Cancel
            </Button>
            <Button loading={busy} onClick={() => rollbackTo !== null && void rollback(rollbackTo)}>
              Deploy v{rollbackTo}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function RepairList({ repairs }: { repairs: Repair[] }) {
  return (
    <Accordion variant="contained" chevronPosition="right">
      {repairs.map((r) => (
        <Accordion.Item key={r.id} value={r.id}>
          <Accordion.Control icon={<IconTool size={16} />}>
            <Group gap={6} wrap="wrap">
              <Badge size="sm" variant="light" color={REPAIR_COLORS[r.status as RepairStatus] ?? 'gray'}>
                {r.status.replace(/_/g, ' ')}
              </Badge>
              <Tooltip label={formatAbsolute(r.createdAt)}>
                <Text size="xs" c="dimmed">
                  {r.provider}
                  {r.model ? ` · ${r.model}` : ''}
                </Text>
              </Tooltip>
            </Group>
          </Accordion.Control>
          <Accordion.Panel>
            <RepairDetails repair={r} />
          </Accordion.Panel>
        </Accordion.Item>
      ))}
    </Accordion>
  );
}

function RepairDetails({ repair }: { repair: Repair }) {
  const detail = useQuery(queries.repair(repair.id));
  return (
    <Stack gap="sm">
      {repair.explanation ? <Text size="sm">{repair.explanation}</Text> : null}
      {repair.error ? (
        <Text size="sm" c="red">
          {repair.error}
        </Text>
      ) : null}
      <Group gap="md">
        <Anchor component={Link} href={`/runs/${repair.runId}`} size="xs">
          <IconHistory size={12} /> Run {shortId(repair.runId)} (attempt {repair.attempt})
        </Anchor>
        <Text size="xs" c="dimmed">
          {repair.tokens.total} tokens
        </Text>
      </Group>
      {detail.isPending ? (
        <LoadingState rows={2} />
      ) : detail.data?.diff ? (
        <DiffView diff={detail.data.diff} maxHeight={300} />
      ) : (
        <EmptyState title="No diff">This repair did not produce a candidate.</EmptyState>
      )}
    </Stack>
  );
}

/** Whether a version's manifest declares triggers (the document types a manifest as any JSON). */
function declaresTriggers(manifest: unknown): boolean {
  if (typeof manifest !== 'object' || manifest === null || !('triggers' in manifest)) return false;
  const { triggers } = manifest as { triggers: unknown };
  return Array.isArray(triggers) && triggers.length > 0;
}
