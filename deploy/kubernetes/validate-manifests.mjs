// Validates Kubernetes manifests against the OpenAPI schemas of a current
// Kubernetes release, as packaged by kubernetes-models (one class per kind,
// each with a JSON-schema validate()). The package is ESM only, so the unit
// test runs this file with plain node: manifests as a JSON array on stdin,
// a JSON array of problems (empty when all are valid) on stdout.
import { readFileSync } from 'node:fs';

const manifests = JSON.parse(readFileSync(0, 'utf8'));
const problems = [];
for (const manifest of manifests) {
  const { apiVersion = '', kind = '' } = manifest;
  const name = `${kind} ${manifest.metadata?.name ?? '(unnamed)'}`;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [undefined, apiVersion];
  const modulePath = ['kubernetes-models', group, version, kind].filter(Boolean).join('/');
  let Model;
  try {
    ({ [kind]: Model } = await import(modulePath));
  } catch {
    Model = undefined;
  }
  if (typeof Model !== 'function') {
    problems.push(`${name}: no schema for ${apiVersion} ${kind}`);
    continue;
  }
  try {
    new Model(manifest).validate();
  } catch (error) {
    const details = Array.isArray(error.errors) ? error.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ') : String(error.message ?? error);
    problems.push(`${name}: ${details}`);
  }
}
process.stdout.write(JSON.stringify(problems));
