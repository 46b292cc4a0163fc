// GraphQL Code Generator and the supergraph. Plain CommonJS, because the
// generator loads schema loaders with require() and because its CLI is an ES
// module that Jest cannot load (so the staleness test runs it in a child
// process, through this file).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { Supergraph } = require('@apollo/federation-internals');

/** What clients can query: the supergraph without federation's join__/link__ machinery. */
function apiSchemaOf(supergraphSdl) {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** The schema loader codegen.yml names: the API schema of a supergraph file. */
module.exports = function loadApiSchema(pointer) {
  return apiSchemaOf(readFileSync(path.resolve(pointer), 'utf8'));
};

/**
 * `node scripts/codegen-api-schema.js < supergraph.graphql` runs codegen.yml
 * (from the working directory) against the supergraph read from stdin and
 * prints the files it would write as JSON, writing nothing.
 */
async function generateFromStdin() {
  const { generate } = require('@graphql-codegen/cli');
  const { parse } = require('yaml');
  const apiSchema = apiSchemaOf(readFileSync(0, 'utf8'));
  const config = parse(readFileSync(path.resolve('codegen.yml'), 'utf8'));
  const schema = Object.fromEntries(Object.keys(Object.assign({}, ...[].concat(config.schema))).map((pointer) => [pointer, { loader: () => apiSchema }]));
  const outputs = await generate({ ...config, schema, cwd: process.cwd(), silent: true, errorsOnly: true }, false);
  process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content }))));
}

if (require.main === module) {
  generateFromStdin().catch((error) => {
    process.stderr.write(`${error && error.message ? error.message : error}\n`);
    process.exit(1);
  });
}
