/**
 * The secrets .env.example ships with. They make a local try-out work at once, and they are public:
 * an installation still using one must hear about it loudly, and a production one must not start.
 * (env.spec keeps this list and .env.example in step.)
 */
export const EXAMPLE_SECRETS: Readonly<Record<string, string>> = {
  MENDFLOW_SECRET_KEY: '4f1c0a3e9b7d25c86e0f4a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d',
  MENDFLOW_ADMIN_PASSWORD: 'change-me-please',
  MENDFLOW_BOOTSTRAP_API_KEY: 'mf_local_bootstrap_key_change_me_0001',
};

/** Names of the variables (among those given) that still hold their example value. */
export function exampleSecretsInUse(env: NodeJS.ProcessEnv, names = Object.keys(EXAMPLE_SECRETS)): string[] {
  return names.filter((name) => EXAMPLE_SECRETS[name] !== undefined && env[name] === EXAMPLE_SECRETS[name]);
}

/**
 * Warns (through `warn`) when example secrets are in use; with NODE_ENV=production, throws instead,
 * so the process refuses to start.
 */
export function checkExampleSecrets(
  env: NodeJS.ProcessEnv,
  names: string[],
  warn: (message: string) => void,
): void {
  const inUse = exampleSecretsInUse(env, names);
  if (inUse.length === 0) return;
  const list = inUse.join(', ');
  if (env.NODE_ENV === 'production') {
    throw new Error(
      `refusing to start with NODE_ENV=production: ${list} still hold the public example values from .env.example; set your own (MENDFLOW_SECRET_KEY: openssl rand -hex 32)`,
    );
  }
  warn(
    `!!! ${list} still hold the public example values from .env.example: anyone can use them. ` +
      'Fine for a local try-out only; set your own before anything else can reach this machine. !!!',
  );
}
