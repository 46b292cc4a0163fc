import { ResponseCacheStore, type CachedResponse } from './response-cache.store';

/** The in-process tier's invalidation rules (the Redis tier: the e2e tests). */
describe('response cache store', () => {
  const entry = (tags: string[]): CachedResponse => ({ result: { data: { x: 1 } }, tags, storedAt: Date.now(), ttlMs: 60_000 });
  const newStore = () => new ResponseCacheStore({ maxEntries: 100, maxBytes: 1_000_000, keyPrefix: 'test:', warn: () => undefined });

  it('does not store what a change raced, nor, while a tag is held, what holds it', async () => {
    const store = newStore();
    const before = store.snapshot();
    await store.invalidate(['A']);
    expect(await store.set('raced', entry(['A']), before)).toBe(false);

    store.hold(['held'], 200);
    await store.invalidate(['held']);
    // Read after the change, and still not kept: the data it came from may not have caught up yet.
    expect(await store.set('early', entry(['held', 'B']), store.snapshot())).toBe(false);
    expect(await store.set('other', entry(['B']), store.snapshot())).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.set('late', entry(['held']), store.snapshot())).toBe(true);
    expect((await store.get('late', store.snapshot()))?.tier).toBe('memory');
  });

  it('drops only what holds an invalidated tag', async () => {
    const store = newStore();
    await store.set('a', entry(['Product:1', 'Product.available']), store.snapshot());
    await store.set('b', entry(['Product:2']), store.snapshot());
    await store.invalidate(['Product.available']);
    expect(await store.get('a', store.snapshot())).toBeUndefined();
    expect(await store.get('b', store.snapshot())).toBeDefined();
  });
});
