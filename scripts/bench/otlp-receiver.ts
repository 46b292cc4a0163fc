import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/**
 * A stand-in for an OpenTelemetry collector, for benchmarks with tracing on:
 * accepts OTLP/HTTP trace exports (protobuf, or JSON) at POST /v1/traces,
 * counts the spans and discards them, so the services pay the full cost of
 * recording and exporting and nothing else.
 */
export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  stats(): { exports: number; spans: number; bytes: number };
  close(): Promise<void>;
}

export async function startOtlpReceiver(host: string, port: number): Promise<OtlpReceiver> {
  let exports = 0;
  let spans = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      bytes += body.length;
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      exports += 1;
      const json = (req.headers['content-type'] ?? '').includes('json');
      spans += json ? countJsonSpans(body) : countProtobufSpans(body);
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    url: `http://${host}:${port}`,
    stats: () => ({ exports, spans, bytes }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function countJsonSpans(body: Buffer): number {
  const request = JSON.parse(body.toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
  return (request.resourceSpans ?? []).reduce((sum, rs) => sum + (rs.scopeSpans ?? []).reduce((n, ss) => n + (ss.spans?.length ?? 0), 0), 0);
}

/**
 * Spans in an ExportTraceServiceRequest: resource_spans (field 1) hold
 * scope_spans (field 2), which hold spans (field 2). Only the
 * length-delimited fields on that path are walked.
 */
function countProtobufSpans(body: Buffer): number {
  const fields = (buffer: Buffer, wanted: number): Buffer[] => {
    const found: Buffer[] = [];
    let offset = 0;
    const varint = () => {
      let value = 0;
      let shift = 0;
      for (;;) {
        const byte = buffer[offset++];
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
        shift += 7;
      }
    };
    while (offset < buffer.length) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (wire === 0) varint();
      else if (wire === 1) offset += 8;
      else if (wire === 5) offset += 4;
      else if (wire === 2) {
        const length = varint();
        if (field === wanted) found.push(buffer.subarray(offset, offset + length));
        offset += length;
      } else break;
    }
    return found;
  };
  let count = 0;
  for (const resourceSpans of fields(body, 1)) for (const scopeSpans of fields(resourceSpans, 2)) count += fields(scopeSpans, 2).length;
  return count;
}
