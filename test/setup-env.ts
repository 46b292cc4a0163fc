// Runs in every test worker before the test files.
import 'reflect-metadata';

process.env.NODE_ENV ??= 'test';
process.env.LOG_LEVEL ??= 'silent';
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
