import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; secrets and credentials are redacted wherever they appear. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['password', '*.password', '*.*.password', 'authorization', '*.authorization', 'req.headers.authorization', 'refreshToken', '*.refreshToken'],
      censor: '[redacted]',
    },
  });
}
