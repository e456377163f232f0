import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { devServerFlags } from '../../harness/temporal';
import { configSchema, loadConfig } from '../../src/config';
import { searchAttributeDefinitions } from '../../src/shared/search-attributes';

/**
 * The compose file agrees with the code: compose passes only settings src/config.ts knows, with values it
 * accepts; services wait on what they use; one service builds the image the others run; Temporal gets the dynamic
 * config and search attributes the workflows need. No services are started. The image itself: dockerfile.test.ts.
 */

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  pull_policy?: string;
  restart?: string;
  volumes?: (string | { source?: string; target: string })[];
}

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const readme = read('README.md');
const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
const configShape = configSchema.shape;
const configKeys = Object.keys(configShape);

/** Compose variable substitution with an empty shell environment: `$$` is a literal `$`, `${X:-d}` gives d. */
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, name, op, arg) => {
      if (m === '$$') return '$';
      if (op === ':?' || op === '?') throw new Error(`\${${name}} is required (${arg}): compose would refuse to start`);
      return op === ':-' || op === '-' ? arg : '';
    },
  );
}

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs: [string, string][] = Array.isArray(env)
    ? env.map((e) => [e.split('=')[0], e.includes('=') ? e.slice(e.indexOf('=') + 1) : ''])
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v)]));
}

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));
const commandOf = (s: Service) => asList(s.command).map(interpolate);

function publishedPorts(service: Service) {
  return (service.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { host: String(p.published ?? ''), container: String(p.target) };
    const parts = interpolate(p).split(':');
    return { host: parts.at(-2) ?? '', container: parts.at(-1)!.replace(/\/\w+$/, '') };
  });
}

function dependencies(service: Service): Record<string, string> {
  const d = service.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v?.condition ?? 'service_started']));
}

/** The one service that builds this project's image (from the Dockerfile), and the image tag it builds. */
const builders = Object.entries(services).filter(([, s]) => s.build !== undefined);
const appImage = builders[0]?.[1].image;
/** Services that run this project's image: the builder and those that use the tag it builds. */
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined || s.image === appImage);
/** Third-party images configured through their own variables, not the service's. */
const isThirdParty = (s: Service) =>
  /^(mariadb|redis|prom\/prometheus|grafana\/grafana|jaegertracing\/all-in-one)(:|$)/.test(s.image ?? '');

describe('docker-compose.yml', () => {
  it('has the services the README describes', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['mariadb', 'redis', 'temporal', 'temporal-setup', 'migrate', 'api', 'worker']),
    );
    expect(appServices.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'temporal-setup', 'worker']);
  });

  it('builds the image in one service only; the others use its tag and never pull it', () => {
    // Recent Compose fails when several services build one tag at once.
    expect(builders.map(([name]) => name)).toEqual(['migrate']);
    expect(appImage).toMatch(/^[\w.-]+:[\w.-]+$/);
    expect(services.migrate.pull_policy).toBe('build');
    for (const name of ['api', 'worker']) {
      expect(`${name}: ${services[name].image} ${services[name].pull_policy}`).toBe(`${name}: ${appImage} never`);
      // They start after the build: migrate runs the image first and has to finish.
      expect(dependencies(services[name]).migrate).toBe('service_completed_successfully');
    }
  });

  it('passes only variables that src/config.ts defines', () => {
    for (const [name, service] of Object.entries(services)) {
      if (isThirdParty(service)) continue;
      for (const key of Object.keys(environment(service))) {
        expect(`${name}: ${key}`).toBe(`${name}: ${configKeys.includes(key) ? key : '(not in configSchema)'}`);
      }
    }
  });

  it('gives the app services a configuration the schema accepts', () => {
    for (const [name, service] of appServices) {
      const env = environment(service);
      for (const key of ['DATABASE_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TASK_QUEUE', 'PORT']) {
        expect(`${name}: ${key}=${env[key] ?? '(missing)'}`).not.toMatch(/\(missing\)$/);
      }
      // Exactly what the process does at start-up, on the values compose substitutes when nothing is overridden.
      let outcome = 'ok';
      try {
        const config = loadConfig(env);
        expect(config.NODE_ENV).toBe('production');
        expect(config.WEBHOOK_SECRET).toBeDefined();
      } catch (err) {
        outcome = (err as Error).message;
      }
      expect(`${name}: ${outcome}`).toBe(`${name}: ok`);
    }
    // The worker's metrics must be reachable from the compose network, not bound to the container's loopback.
    expect(environment(services.worker).WORKER_METRICS_ADDRESS).toMatch(/^0\.0\.0\.0:\d+$/);
  });

  it('points the app services at hosts that are compose services, with the database credentials MariaDB creates', () => {
    const mariadb = environment(services.mariadb);
    for (const [, service] of appServices) {
      const env = environment(service);
      const db = new URL(env.DATABASE_URL);
      expect(services[db.hostname]?.image).toMatch(/^mariadb:/);
      expect(decodeURIComponent(db.username)).toBe(mariadb.MARIADB_USER);
      expect(decodeURIComponent(db.password)).toBe(mariadb.MARIADB_PASSWORD);
      expect(db.pathname).toBe(`/${mariadb.MARIADB_DATABASE}`);
      expect(services[new URL(env.REDIS_URL).hostname]?.image).toMatch(/^redis:/);
      expect(services[env.TEMPORAL_ADDRESS.split(':')[0]]).toBeDefined();
    }
    const setup = environment(services['temporal-setup']);
    const api = environment(services.api);
    expect(setup.TEMPORAL_ADDRESS).toBe(api.TEMPORAL_ADDRESS);
    expect(setup.TEMPORAL_NAMESPACE).toBe(api.TEMPORAL_NAMESPACE);
  });

  it('runs the commands package.json and scripts/start.sh run', () => {
    // The npm scripts pick Node.js and its flags and build first on a fresh clone (scripts/part.sh); the image is
    // built and sets its flags itself, so it runs the command directly.
    for (const part of ['api', 'worker'] as const) {
      expect(scripts[part]).toBe(`bash scripts/part.sh ${part}`);
      expect(commandOf(services[part]).join(' ')).toBe(`node dist/${part}/main.js`);
    }
    expect(read('scripts/part.sh')).toContain('exec node "dist/$part/main.js"');
    expect(commandOf(services.migrate).join(' ')).toBe('node dist/db/cli.js setup');
    expect(read('scripts/start.sh')).toContain('node dist/db/cli.js setup');
    for (const [, service] of appServices) {
      const entry = commandOf(service)[1];
      expect(existsSync(path.join(root, entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('publishes the API on 8000 and the Temporal Web UI on 8233, as the README says, each movable', () => {
    const apiPort = environment(services.api).PORT;
    expect(publishedPorts(services.api)).toContainEqual({ host: '8000', container: apiPort });
    expect(readme).toContain('http://127.0.0.1:8000');
    expect(publishedPorts(services.temporal)).toContainEqual({ host: '8233', container: '8233' });
    expect(commandOf(services.temporal)).toContain('--ui-port=8233');
    expect(readme).toContain('http://127.0.0.1:8233');
    // Other services reach the frontend, so it must not listen on loopback only.
    expect(commandOf(services.temporal)).toContain('--ip=0.0.0.0');
    // Every published port has a host-port variable, and the docs name each one.
    const deployment = read('docs/deployment.md');
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        const variable = String(port).match(/^127\.0\.0\.1:\$\{([A-Z_]+_HOST_PORT):-\d+\}:\d+$/)?.[1];
        expect(`${name} ${String(port)}: ${variable ?? 'no host-port variable'}`).toMatch(/_HOST_PORT$/);
        expect(readme).toContain(`\`${variable}\``);
        expect(deployment).toContain(`\`${variable}\``);
      }
    }
  });

  it('only depends on services that exist, with conditions they can meet', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependencies(service))) {
        expect(`${name} -> ${target}: ${services[target] ? 'exists' : 'missing'}`).toBe(`${name} -> ${target}: exists`);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        const t = services[target];
        if (condition === 'service_healthy') {
          // Its own healthcheck, or the image's HEALTHCHECK (the Dockerfile's) that it does not disable.
          const hasCheck = t.healthcheck?.test !== undefined || (t.image === appImage && !t.healthcheck?.disable);
          expect(`${target} has a healthcheck: ${hasCheck}`).toBe(`${target} has a healthcheck: true`);
        }
        if (condition === 'service_completed_successfully') expect(t.restart).toBe('no');
      }
    }
  });

  it('starts the API and the worker only after the database set-up, Redis and Temporal are ready', () => {
    for (const name of ['api', 'worker']) {
      expect(dependencies(services[name])).toEqual({
        migrate: 'service_completed_successfully',
        redis: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
      });
    }
    expect(dependencies(services.migrate)).toEqual({ mariadb: 'service_healthy' });
    // It runs the image migrate builds.
    expect(dependencies(services['temporal-setup'])).toEqual({
      temporal: 'service_healthy',
      migrate: 'service_completed_successfully',
    });
  });

  it('keeps MariaDB and Temporal state in named volumes, and checks MariaDB and Redis health', () => {
    const named = (s: Service) =>
      (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0] : (v.source ?? '')));
    expect(named(services.mariadb)).toContain('mariadb-data');
    expect(named(services.temporal)).toContain('temporal-data');
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['mariadb-data', 'temporal-data']));
    expect(services.mariadb.healthcheck?.test).toBeDefined();
    expect(services.redis.healthcheck?.test).toBeDefined();
    expect(services.temporal.healthcheck?.test).toBeDefined();
    // The one-shot runs the API's image without a listener: the image's HTTP healthcheck is turned off.
    expect(services.migrate.healthcheck?.disable).toBe(true);
    // The worker has no HTTP listener either: its check asks its Prometheus endpoint whether a worker started.
    const workerCheck = asList(services.worker.healthcheck?.test).join(' ');
    expect(workerCheck).toContain('/metrics');
    expect(workerCheck).toContain('temporal_worker_start');
    expect(workerCheck).toContain('WORKER_METRICS_ADDRESS');
  });

  it('starts Temporal with the dev-server flags the scripts use; the search attributes come from setup-temporal', () => {
    const command = commandOf(services.temporal);
    expect(command.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(command.some((a) => a.startsWith('--db-filename='))).toBe(true);
    // The same settings as npm start's file-backed dev server, from the one list the scripts read.
    const flags = devServerFlags('file');
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(command).toContain(flag);
    expect(command.filter((a) => a.startsWith('--dynamic-config-value') || a.startsWith('--sqlite-pragma'))).toEqual(
      flags,
    );
    const libSh = read('scripts/lib.sh');
    expect(Object.keys(searchAttributeDefinitions).sort()).toEqual([
      'CustomerId',
      'HoldExpiresAt',
      'HoldStatus',
      'OrderStatus',
      'ProductId',
    ]);
    // The namespace (its retention and search attributes) is set up by the service's own command on every path, and
    // the service starts only after it: the list lives in src/shared/search-attributes.ts alone.
    expect(command.some((a) => a.startsWith('--search-attribute'))).toBe(false);
    for (const name of ['api', 'worker']) {
      expect(dependencies(services[name])['temporal-setup']).toBe('service_completed_successfully');
    }
    expect(commandOf(services['temporal-setup']).join(' ')).toBe(scripts['setup-temporal'].split('; ').pop());
    expect(libSh).toContain('src/cli/setup-temporal.ts');
  });
});
