/**
 * Where an integration spec keeps its Redis data: its own database number of TEST_REDIS_URL (specs of
 * different files may run at once on one Redis) and a key prefix of its own process and moment.
 */
export function testRedis(db: number, label: string): { redisUrl: string; prefix: string } {
  const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${db}`;
  return {
    redisUrl: url.toString(),
    prefix: `mendflow-test-${label}-${process.pid}-${Date.now().toString(36)}`,
  };
}
