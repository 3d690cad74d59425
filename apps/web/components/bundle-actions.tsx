'use client';

import { Alert, Button, Code, FileInput, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconFileImport } from '@tabler/icons-react';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { api, type ApiError, type Automation, toApiError } from '@/lib/api';
import { useImportBundle } from '@/lib/queries';
import { useCan } from '@/lib/session';

type Size = 'xs' | 'sm' | 'md';

/** Saves `text` as a file the browser downloads. */
function download(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/**
 * "Export bundle": fetches the signed bundle of the deployed version and downloads it as
 * `<name>.mendflow.json` (whoever may read the automation may export it).
 */
export function ExportBundleButton({
  automation,
  size = 'sm',
}: {
  automation: Pick<Automation, 'id' | 'name'>;
  size?: Size;
}) {
  const [busy, setBusy] = useState(false);
  async function exportBundle() {
    setBusy(true);
    try {
      const bundle = await api.exportBundle(automation.id);
      download(`${bundle.automation.name}.mendflow.json`, `${JSON.stringify(bundle, null, 2)}\n`);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not export', message: toApiError(err).message });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Button
      size={size}
      variant="default"
      loading={busy}
      leftSection={<IconDownload size={14} />}
      onClick={() => void exportBundle()}
      data-testid="export-bundle"
    >
      Export bundle
    </Button>
  );
}

/** "Import bundle", for roles that may write automations; nothing otherwise. */
export function ImportBundleButton(props: { size?: Size }) {
  return useCan('automations:write') ? <ImportBundle {...props} /> : null;
}

/** What a person can do about each refusal, after the API's own message. */
const REFUSAL_HINT: Record<string, string> = {
  BUNDLE_PUBLISHER_UNTRUSTED:
    'If you know this publisher, an admin can trust its key under Settings → Signing key & trusted publishers.',
  BUNDLE_SIGNATURE_INVALID:
    'The file was changed after it was exported: ask the publisher for a fresh export.',
  AUTOMATION_NAME_TAKEN: 'Give the imported automation another name below.',
};

/**
 * Imports a signed bundle (a `.mendflow.json` file) as a new automation; a refusal is shown with its
 * code, so a person can tell an untrusted publisher from a tampered file.
 */
function ImportBundle({ size = 'sm' }: { size?: Size }) {
  const router = useRouter();
  const [opened, setOpened] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const importBundle = useImportBundle();

  function close() {
    setOpened(false);
    setFile(null);
    setName('');
    setError(null);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return;
    setError(null);
    let bundle: unknown;
    try {
      bundle = JSON.parse(await file.text());
    } catch {
      setError(toApiError(new Error(`${file.name} is not a JSON file`)));
      return;
    }
    try {
      const created = await importBundle.mutateAsync({ bundle, ...(name.trim() && { name: name.trim() }) });
      notifications.show({
        color: 'teal',
        title: 'Bundle imported',
        message: `${created.name}, version 1, is deployed.`,
      });
      close();
      router.push(`/automations/${created.id}`);
    } catch (err) {
      setError(toApiError(err));
    }
  }

  return (
    <>
      <Button
        size={size}
        variant="default"
        leftSection={<IconFileImport size={14} />}
        onClick={() => setOpened(true)}
        data-testid="import-bundle"
      >
        Import bundle
      </Button>
      <Modal opened={opened} onClose={close} title="Import a signed bundle" size="lg">
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <Text size="sm" c="dimmed">
              A bundle exported from Mendflow (<Code>.mendflow.json</Code>). It is imported only if its
              signature verifies and its publisher is this workspace or one it trusts.
            </Text>
            <FileInput
              label="Bundle file"
              placeholder="Choose a .mendflow.json file"
              accept="application/json,.json"
              value={file}
              onChange={(picked) => {
                setFile(picked);
                setError(null);
              }}
              required
              data-testid="import-bundle-file"
            />
            <TextInput
              label="Name"
              description="Leave empty to keep the bundle's name."
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              maxLength={100}
            />
            {error ? (
              <Alert
                color="red"
                variant="light"
                role="alert"
                title="Not imported"
                data-testid="import-bundle-error"
              >
                <Stack gap={4}>
                  {error.code !== 'UNEXPECTED' ? <Code>{error.code}</Code> : null}
                  <Text size="sm" style={{ wordBreak: 'break-word' }}>
                    {error.message}
                  </Text>
                  {REFUSAL_HINT[error.code] ? <Text size="sm">{REFUSAL_HINT[error.code]}</Text> : null}
                </Stack>
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button
                type="submit"
                loading={importBundle.isPending}
                disabled={!file}
                data-testid="import-bundle-submit"
              >
                Import and deploy
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
