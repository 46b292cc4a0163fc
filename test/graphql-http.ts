/** One GraphQL request over HTTP as a browser sends it, answered with its status, headers (x-cache, age, retry-after ...) and parsed body. */
export interface HttpGraphQLAnswer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

/** POSTs `query` to `url` (a gateway's /graphql), signed in with `token` when given. */
export async function postGraphQLWithHeaders(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<HttpGraphQLAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as HttpGraphQLAnswer['body'] };
}
