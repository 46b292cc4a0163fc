import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { OperationAnalyzer } from './operation-analysis';
import { describeOperation, endOperationSpan, inAdmissionSpan, inOperationSpan, startOperationSpan } from './operation-span';
import { GatewayOperation, Refusal, refusal, type Execute, type GatewayPlugin, type IncomingRequest, type OperationResponse } from './operation';

export type Admission = { operation: GatewayOperation; refused?: undefined } | { operation: GatewayOperation; refused: OperationResponse };

/**
 * The gateway's one admission pipeline: every operation, over HTTP or
 * graphql-ws, passes the same plugins in the same order before it is
 * executed, and every response passes them back. Transports only translate
 * (gateway/pipeline/http-transport.ts, gateway/subscriptions/subscription-server.ts).
 */
export class AdmissionPipeline {
  private readonly requestHooks: GatewayPlugin[];
  private readonly responseHooks: GatewayPlugin[];
  private readonly executeHooks: GatewayPlugin[];

  constructor(
    readonly plugins: readonly GatewayPlugin[],
    private readonly logger: Logger,
    /** What every operation's steps read of it (operation.analysis()). */
    private readonly analyzer: OperationAnalyzer,
  ) {
    this.requestHooks = plugins.filter((plugin) => plugin.onRequest);
    this.responseHooks = plugins.filter((plugin) => plugin.onResponse).reverse();
    // Innermost first: execute() wraps them in this order, so the first plugin ends up outermost.
    this.executeHooks = plugins.filter((plugin) => plugin.onExecute).reverse();
  }

  /**
   * Executes an admitted operation through the plugins' `onExecute` (first
   * plugin outermost, `execute` innermost) and lets every plugin see the
   * response. Both transports answer queries and mutations through here.
   */
  async execute(operation: GatewayOperation, execute: Execute): Promise<OperationResponse> {
    let run = execute;
    for (const plugin of this.executeHooks) {
      const next = run;
      run = (current) => plugin.onExecute!(current, next);
    }
    const response = await inOperationSpan(operation, () => run(operation));
    await this.respond(operation, response);
    return response;
  }

  /** Runs the admission steps; a refused operation has already been answered through `respond`. */
  async admit(request: IncomingRequest): Promise<Admission> {
    const operation = new GatewayOperation(request, this.analyzer);
    startOperationSpan(operation);
    try {
      await inAdmissionSpan(operation, async () => {
        readRequestFields(operation);
        for (const plugin of this.requestHooks) await plugin.onRequest!(operation);
      });
      operation.admitted = true;
      describeOperation(operation);
      return { operation };
    } catch (error) {
      describeOperation(operation);
      const refused = this.refusalOf(error);
      Object.assign(operation.responseHeaders, refused.headers);
      const response: OperationResponse = { result: { errors: refused.errors.map(formatRefusal) }, refused: true, status: refused.status };
      await this.respond(operation, response);
      return { operation, refused: response };
    }
  }

  /** Lets every plugin see (and decorate) a response before it is sent. */
  async respond(operation: GatewayOperation, response: OperationResponse): Promise<void> {
    for (const plugin of this.responseHooks) {
      try {
        await plugin.onResponse!(operation, response);
      } catch (error) {
        this.logger.error({ err: error, plugin: plugin.name }, 'a gateway plugin failed while answering; the response goes out without it');
      }
    }
    endOperationSpan(operation, response);
  }

  private refusalOf(error: unknown): Refusal {
    if (error instanceof Refusal) return error;
    this.logger.error({ err: error }, 'admission failed unexpectedly');
    return refusal(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error', { status: 500 });
  }
}

function formatRefusal(error: GraphQLError): GraphQLFormattedError {
  // No stack, no originalError: a refusal says what the client did and nothing of the server.
  // `extensions.http` is Apollo's convention for a status; it is not for the client.
  const { http: _http, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
  const formatted = error.toJSON();
  return { ...formatted, extensions };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The request's GraphQL fields must have the GraphQL-over-HTTP shapes, on every transport. */
function readRequestFields(operation: GatewayOperation): void {
  const { query, operationName, variables, extensions } = operation.request;
  const bad = (message: string) => refusal(ErrorCode.BAD_REQUEST, message, { status: 400 });
  if (query !== undefined && query !== null && typeof query !== 'string') throw bad('"query" must be a string');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') throw bad('"operationName" must be a string');
  if (variables !== undefined && variables !== null && !isObject(variables)) throw bad('"variables" must be an object');
  if (extensions !== undefined && extensions !== null && !isObject(extensions)) throw bad('"extensions" must be an object');
  operation.query = typeof query === 'string' && query !== '' ? query : undefined;
  operation.operationName = typeof operationName === 'string' && operationName !== '' ? operationName : undefined;
  operation.rawVariables = (variables as Record<string, unknown> | undefined) ?? {};
  operation.extensions = (extensions as Record<string, unknown> | undefined) ?? {};
}
