import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/k8s-validate.mjs as CI runs it (a real `kubectl kustomize`, the real schemas), pointed at
// kustomizations written here: a valid one passes, and each kind of mistake fails it, named.
const ROOT = path.resolve(__dirname, '..');
const work = mkdtempSync(path.join(tmpdir(), 'mendflow-k8s-validate-'));

const deployment = (container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'demo', labels: { 'any.example.com/key': 'labels take any key' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'demo' } },
    template: {
      metadata: { labels: { app: 'demo' } },
      spec: { containers: [{ name: 'demo', image: 'demo:1', ...container }] },
    },
    ...spec,
  },
});
const scaledObject = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  metadata: { name: 'demo' },
  spec: {
    scaleTargetRef: { name: 'demo' },
    triggers: [{ type: 'redis', metadata: { listName: 'bull:runs:prioritized', listLength: '8' } }],
    ...spec,
  },
});

/** A kustomization folder holding these objects (JSON is YAML). */
function kustomization(name: string, objects: object[]): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  objects.forEach((object, i) => writeFileSync(path.join(dir, `${i}.yaml`), JSON.stringify(object)));
  writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    `resources:\n${objects.map((_, i) => `  - ${i}.yaml\n`).join('')}`,
  );
  return dir;
}

function validate(...dirs: string[]) {
  const result = spawnSync(process.execPath, ['scripts/k8s-validate.mjs', ...dirs], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run k8s:validate', () => {
  it('passes valid objects, core and KEDA, and prints their counts', () => {
    const result = validate(kustomization('good', [deployment(), scaledObject()]));
    expect(result.output).toContain('2 objects, 0 errors (Deployment 1, ScaledObject 1)');
    expect(result.output).toContain('k8s:validate: 1 kustomizations, 2 objects, 0 errors');
    expect(result.status).toBe(0);
  }, 60_000);

  it('fails on a wrong type, unknown fields at any depth and an unknown kind, naming each', () => {
    const result = validate(
      kustomization('wrong-type', [deployment({}, { replicas: 'two' })]),
      kustomization('unknown-container-field', [deployment({ imagePullPolice: 'Always' })]),
      kustomization('unknown-metadata-field', [{ ...deployment(), metadata: { name: 'demo', labelz: {} } }]),
      kustomization('unknown-keda-field', [scaledObject({ pollingIntervall: 5 })]),
      kustomization('unknown-kind', [
        { apiVersion: 'apps/v1', kind: 'Deploymnt', metadata: { name: 'demo' } },
      ]),
    );
    expect(result.status).toBe(1);
    const line = (label: string) =>
      result.output.split('\n').filter((text) => text.includes(`${label}: `) && text.includes('✗'));
    expect(line('wrong-type').join('\n')).toMatch(/Deployment\/demo: .*spec\/replicas must be integer/);
    expect(line('unknown-container-field')).toEqual([
      expect.stringContaining(
        'Deployment/demo: spec.template.spec.containers[0].imagePullPolice: unknown field',
      ),
    ]);
    expect(line('unknown-metadata-field')).toEqual([
      expect.stringContaining('Deployment/demo: metadata.labelz: unknown field'),
    ]);
    expect(line('unknown-keda-field')).toEqual([
      expect.stringContaining('ScaledObject/demo: spec.pollingIntervall: unknown field'),
    ]);
    expect(line('unknown-kind')).toEqual([
      expect.stringContaining('Deploymnt/demo: no schema for apiVersion apps/v1 kind Deploymnt'),
    ]);
    expect(result.output).toContain('k8s:validate: 5 kustomizations, 5 objects, 5 errors');
  }, 120_000);

  it('fails when kustomize cannot render a folder', () => {
    const dir = path.join(work, 'broken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
    const result = validate(dir);
    expect(result.status).toBe(1);
    expect(result.output).toContain('kubectl kustomize failed');
  }, 60_000);
});
