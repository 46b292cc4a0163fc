import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { Writable } from 'node:stream';
import { commonEnv, ConfigError, readEnv } from './config';
import { createLogger, defaultLogFormat, type LogFormat } from './logger';

/** A synchronous context manager: enough to make a span active for the duration of a call. */
class StackContextManager implements ContextManager {
  private current: Context | undefined;
  active(): Context {
    return this.current ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.current = undefined;
    return this;
  }
}

function capture(format: LogFormat = 'json') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('test', 'info', { format, destination }), lines };
}

describe('logger', () => {
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };

  afterEach(() => context.disable());

  it('adds the active span’s trace_id and span_id to every line, and nothing without a span', () => {
    const { logger, lines } = capture();
    logger.info('outside');
    context.setGlobalContextManager(new StackContextManager());
    const withSpan = trace.setSpan(context.active(), trace.wrapSpanContext(spanContext));
    context.with(withSpan, () => logger.child({ component: 'x' }).warn({ op: 1 }, 'inside'));
    const [outside, inside] = lines.map((line) => JSON.parse(line));
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
    expect(inside).toMatchObject({ msg: 'inside', op: 1, component: 'x', trace_id: spanContext.traceId, span_id: spanContext.spanId });
  });

  it('still redacts credentials', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'secret', input: { refreshToken: 'r' } }, 'login');
    expect(lines[0]).not.toContain('secret');
    expect(JSON.parse(lines[0])).toMatchObject({ password: '[redacted]' });
  });

  it('writes readable lines in the pretty format', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ operationName: 'Categories' }, 'graphql operation');
    expect(lines[0]).toMatch(/INFO.*\(test\): graphql operation/);
    expect(lines.join('\n')).toContain('operationName: "Categories"');
  });

  it('defaults to pretty only on a terminal outside production, and LOG_FORMAT is checked at start', () => {
    expect(defaultLogFormat({ NODE_ENV: 'development' }, true)).toBe('pretty');
    expect(defaultLogFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(defaultLogFormat({}, false)).toBe('json');
    expect(readEnv(commonEnv, { LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(() => readEnv(commonEnv, { LOG_FORMAT: 'xml' })).toThrow(ConfigError);
    expect(() => readEnv(commonEnv, { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
