import { existsSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../../../worker/src/health/worker-metrics';
import { ApiMetrics } from './metrics';

// The compose profile `observability` cannot be started on a machine without images, so its files are
// checked here instead: every PromQL expression of the Grafana dashboard names only metrics the code
// registers (and every Mendflow metric has a panel), the scrape config has the jobs the stack needs,
// and the compose services, mounts and ports fit together.
const root = new URL('../../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(read('infra/grafana/dashboards/mendflow.json')) as {
  uid: string;
  panels: Panel[];
};
const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

/** The series names a registry exposes: a histogram's as _bucket, _sum and _count (a summary's: itself, _sum, _count). */
async function exposedNames(registry: Registry): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = String(metric.type);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(metric.name + suffix);
    else names.add(metric.name);
  }
  return names;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
const OPERATORS = new Set(['and', 'or', 'unless']);

/** The metric names a PromQL expression selects (not functions, label names, durations or keywords). */
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges ($__rate_interval, 1h)
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // grouping labels
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const name = match[0];
    const after = bare.slice(match.index + name.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(name) || OPERATORS.has(name)) continue;
    names.push(name);
  }
  return names;
}

describe('Grafana dashboard (infra/grafana/dashboards/mendflow.json)', () => {
  it('reads metric names out of PromQL', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.95, sum by (le) (rate(mendflow_attempt_wall_seconds_bucket[$__rate_interval])))',
      ),
    ).toEqual(['mendflow_attempt_wall_seconds_bucket']);
    expect(
      metricNamesOf('sum(rate(a_total{status=~"5.."}[5m])) / sum without (x) (rate(b_total[5m])) or up'),
    ).toEqual(['a_total', 'b_total', 'up']);
  });

  it('queries only metrics that the API and the worker register, and shows every Mendflow metric', async () => {
    const api = await exposedNames(new ApiMetrics().registry);
    const worker = await exposedNames(new WorkerMetrics().registry);
    // `up` is Prometheus' own series of each scrape target.
    const known = new Set([...api, ...worker, 'up']);
    const used = new Set(exprs.flatMap(metricNamesOf));
    expect(exprs.length).toBeGreaterThan(20);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);

    // Every Mendflow metric of ours (not the process defaults) has a panel, by some series of it.
    const defaults = /^mendflow_(api|worker)_/;
    const ours = (
      await Promise.all(
        [new ApiMetrics().registry, new WorkerMetrics().registry].map((r) => r.getMetricsAsJSON()),
      )
    )
      .flat()
      .map((metric) => metric.name)
      .filter((name) => !defaults.test(name));
    const shown = (name: string) =>
      [...used].some((series) => series === name || series.startsWith(`${name}_`));
    expect(ours.filter((name) => !shown(name))).toEqual([]);
  });

  it('uses the provisioned Prometheus data source on every panel and query', () => {
    const datasources = load(read('infra/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string; type: string }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        uid: 'mendflow-prometheus',
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe('mendflow-prometheus');
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid, panel.title).toBe('mendflow-prometheus');
    }
  });
});

interface ComposeService {
  image?: string;
  profiles?: string[];
  command?: string[] | string;
  environment?: Record<string, string | null>;
  expose?: string[];
  volumes?: string[];
  tmpfs?: string[];
}
const compose = load(read('docker-compose.yml')) as {
  services: Record<string, ComposeService>;
  volumes: object;
};

describe('Prometheus scrape config (infra/prometheus/prometheus.yml)', () => {
  const config = load(read('infra/prometheus/prometheus.yml')) as {
    scrape_configs: {
      job_name: string;
      metrics_path: string;
      authorization?: { type: string; credentials_file: string };
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; type: string; port: number }[];
    }[];
  };
  const job = (name: string) => config.scrape_configs.find((c) => c.job_name === name);

  it('scrapes the API with the METRICS_TOKEN the compose service writes for it', () => {
    const api = job('mendflow-api');
    expect(api).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: ['api:4000'] }] });
    expect(api?.authorization?.type).toBe('Bearer');
    const file = api!.authorization!.credentials_file;
    const command = [compose.services.prometheus?.command].flat().join(' ');
    expect(command).toContain(`"$$METRICS_TOKEN" > ${file}`);
    // The file lives on a tmpfs of the container: the token never reaches a disk.
    expect(compose.services.prometheus?.tmpfs).toContain(file.slice(0, file.lastIndexOf('/')));
    expect(compose.services.prometheus?.environment).toHaveProperty('METRICS_TOKEN');
  });

  it('finds every worker container by DNS, on the health port the workers listen on', () => {
    expect(job('mendflow-worker')).toMatchObject({
      metrics_path: '/metrics',
      dns_sd_configs: [{ names: ['worker'], type: 'A', port: 4001 }],
    });
    const worker = compose.services.worker!;
    expect(worker.environment?.WORKER_HEALTH_PORT).toBe('4001');
    expect(worker.expose).toContain('4001');
  });
});

describe('compose profile observability (docker-compose.yml)', () => {
  it('adds prometheus and grafana only under the profile, with images pinned by tag', () => {
    const profiled = Object.entries(compose.services).filter(([, service]) => service.profiles);
    expect(profiled.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
    for (const [name, service] of profiled) {
      expect(service.profiles, name).toEqual(['observability']);
      expect(service.image, name).toMatch(/^(prom\/prometheus|grafana\/grafana):v?\d+\.\d+\.\d+$/);
    }
    expect(compose.volumes).toHaveProperty('prometheus-data');
    expect(compose.volumes).toHaveProperty('grafana-data');
  });

  it('mounts files that exist, where the provisioning looks for them', () => {
    for (const name of ['prometheus', 'grafana']) {
      for (const volume of compose.services[name]!.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('./')) expect(existsSync(new URL(source!, root)), volume).toBe(true);
      }
    }
    const provider = load(read('infra/grafana/provisioning/dashboards/mendflow.yml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(compose.services.grafana!.volumes).toContain(
      `./infra/grafana/dashboards:${provider.providers[0]!.options.path}:ro`,
    );
    expect(compose.services.grafana!.volumes).toContain(
      './infra/grafana/provisioning:/etc/grafana/provisioning:ro',
    );
    expect(compose.services.prometheus!.volumes).toContain(
      './infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
  });
});
