import path from 'node:path';
import { bool, commonEnv, port, readEnv, str, subgraphUrlEnv } from '../lib/config';
import { schemaDir } from '../lib/paths';
import { DEFAULT_GATEWAY_PORT, subgraphUrlsFromEnv, type SubgraphName } from '../lib/subgraph-names';

export interface GatewayConfig {
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  jwtSecret: string;
  internalSecret: string;
  introspection: boolean;
  supergraphPath: string;
  subgraphUrls: Record<SubgraphName, string>;
}

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const values = readEnv(
    {
      ...commonEnv,
      ...subgraphUrlEnv,
      PORT: port({ default: DEFAULT_GATEWAY_PORT }),
      GRAPHQL_INTROSPECTION: bool({ default: undefined, desc: 'serve introspection; on outside production by default' }),
      SUPERGRAPH_PATH: str({ default: path.join(schemaDir(), 'supergraph.graphql'), desc: 'the composed supergraph to serve' }),
    },
    env,
  );
  const production = values.NODE_ENV === 'production';
  return {
    production,
    host: values.HOST,
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
    jwtSecret: values.JWT_SECRET,
    internalSecret: values.INTERNAL_SECRET,
    introspection: values.GRAPHQL_INTROSPECTION ?? !production,
    supergraphPath: values.SUPERGRAPH_PATH,
    subgraphUrls: subgraphUrlsFromEnv(values),
  };
}
