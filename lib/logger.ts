import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/**
 * The format when LOG_FORMAT is not set: readable lines for a person at a
 * terminal (stdout a TTY, not production), JSON for everything else (log
 * collectors, files, pipes, production).
 */
export function defaultLogFormat(env: NodeJS.ProcessEnv = process.env, stdoutIsTty = process.stdout.isTTY === true): LogFormat {
  return stdoutIsTty && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
}

/** LOG_FORMAT as set (commonEnv in lib/config.ts has already refused any other value at start), else the default. */
function logFormat(): LogFormat {
  const value = process.env.LOG_FORMAT;
  return value === 'pretty' || value === 'json' ? value : defaultLogFormat();
}

const PRETTY = { sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } as const;

/** One pretty-printing stream per process, written synchronously (no worker thread per logger). */
let prettyStream: DestinationStream | undefined;
function prettyDestination(): DestinationStream {
  return (prettyStream ??= pretty({ ...PRETTY, colorize: process.stdout.isTTY === true }));
}

/**
 * The ids of the span active where a line is written (OpenTelemetry's
 * context), so a log line can be found from its trace and the other way
 * round; nothing when no span is active (no tracer, or outside a request).
 * A new object each time: pino merges the line's own fields into it.
 */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  return isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/**
 * Logs on stdout, JSON or pretty (LOG_FORMAT); secrets and credentials are
 * redacted wherever they appear, and every line written inside a span
 * carries its trace_id and span_id.
 */
export function createLogger(
  name: string,
  level = process.env.LOG_LEVEL ?? 'info',
  options: { format?: LogFormat; destination?: DestinationStream; quiet?: () => boolean } = {},
): Logger {
  const format = options.format ?? logFormat();
  const quiet = options.quiet;
  const settings: pino.LoggerOptions = {
    name,
    level,
    mixin: traceFields,
    // While `quiet()` (npm start's start-up), only warnings and errors; children inherit this.
    ...(quiet && {
      hooks: {
        logMethod(args, method, lineLevel) {
          if (lineLevel < 40 && quiet()) return;
          method.apply(this, args);
        },
      },
    }),
    redact: {
      paths: ['password', '*.password', '*.*.password', 'authorization', '*.authorization', 'req.headers.authorization', 'refreshToken', '*.refreshToken'],
      censor: '[redacted]',
    },
  };
  if (options.destination) return pino(settings, format === 'pretty' ? pretty({ ...PRETTY, colorize: false, destination: options.destination }) : options.destination);
  return format === 'pretty' ? pino(settings, prettyDestination()) : pino(settings);
}
