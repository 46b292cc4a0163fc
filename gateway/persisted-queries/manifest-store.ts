import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../../lib/logger';
import type { GatewayMetrics } from '../metrics';
import { StartupError } from '../../lib/startup-error';
import { ManifestError, PersistedQueryManifest, sha256Hex } from './manifest';

export interface ManifestStoreOptions {
  path: string;
  /** Operations of a new manifest must validate against it. */
  apiSchema?: GraphQLSchema;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Reload when the file changes. */
  watch: boolean;
  /** Reload on this signal too (default SIGHUP); null for none. */
  reloadSignal?: NodeJS.Signals | null;
}

/** Settles bursts of file events (an editor's write, a rename over the file) into one reload. */
const DEBOUNCE_MS = 100;

/**
 * Holds the manifest in use and swaps it atomically: a reload reads and
 * validates the whole new file first, and only a good one replaces the list;
 * a bad one is refused with a log line and the previous list stays. The
 * folder is watched rather than the file, so a file replaced by rename (how
 * editors, deploy tools and Kubernetes ConfigMaps update files) is noticed.
 */
export class ManifestStore {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<boolean> | undefined;
  private pending = false;
  /** The last refused file, so repeated events for it do not repeat the error. */
  private refusedChecksum: string | undefined;
  private readonly onSignal = () => void this.reload('signal');

  private constructor(
    private current: PersistedQueryManifest,
    private readonly options: ManifestStoreOptions,
  ) {}

  /** Loads the manifest; a missing or bad file at start is an error (the gateway must not run with no safelist). */
  static async open(options: ManifestStoreOptions): Promise<ManifestStore> {
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch (error) {
      throw new StartupError(
        `the persisted query manifest ${options.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): run \`npm run schema:generate\`, or set PERSISTED_QUERY_MANIFEST_PATH to the manifest`,
        'PERSISTED_QUERY_MANIFEST_PATH',
      );
    }
    let manifest: PersistedQueryManifest;
    try {
      manifest = PersistedQueryManifest.parse(text, options.apiSchema);
    } catch (error) {
      throw new StartupError(`the persisted query manifest ${options.path} is refused (${(error as Error).message}): fix the file, or set PERSISTED_QUERY_MANIFEST_PATH to a valid manifest`, 'PERSISTED_QUERY_MANIFEST_PATH');
    }
    const store = new ManifestStore(manifest, options);
    options.metrics?.useManifest(manifest);
    options.logger.info({ path: options.path, operations: manifest.size }, 'persisted query manifest loaded');
    store.start();
    return store;
  }

  get manifest(): PersistedQueryManifest {
    return this.current;
  }

  private start(): void {
    const signal = this.options.reloadSignal === undefined ? 'SIGHUP' : this.options.reloadSignal;
    if (signal) process.on(signal, this.onSignal);
    if (!this.options.watch) return;
    const file = path.basename(this.options.path);
    try {
      this.watcher = watch(path.dirname(this.options.path), { persistent: false }, (_event, name) => {
        // Other files of the folder are ignored, except Kubernetes' `..data` symlink swap.
        if (name && name !== file && !name.startsWith('..')) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.reload('file changed'), DEBOUNCE_MS);
      });
      this.watcher.on('error', (error) => this.options.logger.warn({ err: error, path: this.options.path }, 'watching the persisted query manifest failed; SIGHUP still reloads it'));
    } catch (error) {
      this.options.logger.warn({ err: error, path: this.options.path }, 'cannot watch the persisted query manifest; SIGHUP still reloads it');
    }
  }

  /**
   * Reads the file again and swaps the list if it changed and is valid.
   * Resolves true when the list in use is the file's (changed or not), false
   * when the file was refused. Concurrent calls are serialized.
   */
  reload(reason = 'requested'): Promise<boolean> {
    if (this.reloading) {
      this.pending = true;
      return this.reloading;
    }
    this.reloading = this.load(reason).finally(() => {
      this.reloading = undefined;
      if (this.pending) {
        this.pending = false;
        void this.reload(reason);
      }
    });
    return this.reloading;
  }

  private async load(reason: string): Promise<boolean> {
    const { logger, metrics } = this.options;
    let text: string;
    try {
      text = await readFile(this.options.path, 'utf8');
    } catch (error) {
      metrics?.manifestReloads.inc({ result: 'refused' });
      logger.error({ path: this.options.path, reason, err: error }, 'persisted query manifest reload refused: cannot read the file; keeping the previous list');
      return false;
    }
    const checksum = sha256Hex(text);
    if (checksum === this.current.checksum) return true;
    if (checksum === this.refusedChecksum && reason === 'file changed') return false;
    try {
      const next = PersistedQueryManifest.parse(text, this.options.apiSchema);
      const previous = this.current.size;
      this.current = next;
      metrics?.manifestReloads.inc({ result: 'loaded' });
      metrics?.useManifest(next);
      logger.info({ path: this.options.path, reason, operations: next.size, previous }, 'persisted query manifest reloaded');
      return true;
    } catch (error) {
      this.refusedChecksum = checksum;
      metrics?.manifestReloads.inc({ result: 'refused' });
      const problems = error instanceof ManifestError ? error.problems : [(error as Error).message];
      logger.error({ path: this.options.path, reason, problems }, 'persisted query manifest reload refused; keeping the previous list');
      return false;
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    const signal = this.options.reloadSignal === undefined ? 'SIGHUP' : this.options.reloadSignal;
    if (signal) process.off(signal, this.onSignal);
  }
}
