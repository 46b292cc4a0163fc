/**
 * Redis for tests: REDIS_URL when set (CI sets it), else the local default.
 * Keys and channels are namespaced per run so concurrent runs never mix.
 */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function testRedisNamespace(): string {
  return `test:${process.env.TEST_RUN_ID ?? process.ppid}:${process.env.JEST_WORKER_ID ?? '0'}:`;
}
