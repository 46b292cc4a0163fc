/**
 * The first import of every entry file: when tracing is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT), patches http, pg and ioredis before anything
 * loads them. Registers nothing otherwise. See lib/tracing.ts.
 */
import { preloadTracing } from './tracing';

preloadTracing();
