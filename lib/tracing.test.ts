import { ConfigError } from './config';
import { readTracingConfig } from './tracing';

describe('tracing settings', () => {
  it('is off without an OTLP endpoint', () => {
    expect(readTracingConfig({})).toMatchObject({ enabled: false, sampler: 'parentbased_always_on', ratio: 1 });
  });

  it('exports to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({ enabled: true, endpoint: 'http://collector:4318/v1/traces' });
    expect(
      readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp' }),
    ).toMatchObject({ endpoint: 'https://traces.example.com/otlp' });
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });

  it('reads the standard sampler settings', () => {
    expect(readTracingConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.05' })).toMatchObject({ sampler: 'parentbased_traceidratio', ratio: 0.05 });
  });

  it('names every bad setting, one line each', () => {
    const read = () =>
      readTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
      });
    expect(read).toThrow(ConfigError);
    try {
      read();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL of an OTLP receiver, got "collector:4318"',
        'OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (gRPC is not supported), got "grpc"',
        'OTEL_TRACES_SAMPLER: must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got "sometimes"',
        'OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of traces sampled), got "1.5"',
      ]);
    }
  });

  it('refuses a ratio for a sampler that takes none', () => {
    expect(() => readTracingConfig({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.5' })).toThrow(/only the traceidratio samplers take an argument/);
  });
});
