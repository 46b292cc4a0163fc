import { Supergraph } from '@apollo/federation-internals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  astFromValue,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  parse,
  print,
  type ConstValueNode,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLSchema,
  type TypeNode,
} from 'graphql';
import { repoRoot, schemaDir } from '../lib/paths';

/**
 * The public contract (schema/api-contract.graphql, a copy of the shared
 * contract) against the API schema of the committed supergraph: every type,
 * field, argument, enum value and default must be there with the same type.
 * The supergraph may add, never rename, remove or tighten.
 */
const contract = parse(readFileSync(path.join(schemaDir(), 'api-contract.graphql'), 'utf8'));
const api: GraphQLSchema = Supergraph.build(readFileSync(path.join(schemaDir(), 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();

/** Not a schema type: the contract lists the error codes as an enum for reference only. */
const REFERENCE_ONLY = new Set(['ErrorCode']);

function typeString(node: TypeNode): string {
  return print(node);
}

function defaultString(value: ConstValueNode | undefined): string | undefined {
  return value ? print(value) : undefined;
}

function apiDefault(input: GraphQLArgument | GraphQLInputField): string | undefined {
  if (input.defaultValue === undefined) return undefined;
  const ast = astFromValue(input.defaultValue, input.type);
  return ast ? print(ast) : undefined;
}

describe('the composed supergraph honours the public contract', () => {
  const definitions = contract.definitions.filter((d) => 'name' in d && d.name && !REFERENCE_ONLY.has(d.name.value));

  it.each(definitions.map((d) => [(d as { name: { value: string } }).name.value, d]))('%s', (name, definition) => {
    const type = api.getType(name);
    expect(type).toBeDefined();
    switch (definition.kind) {
      case 'ScalarTypeDefinition':
        expect(isScalarType(type)).toBe(true);
        break;
      case 'EnumTypeDefinition': {
        expect(isEnumType(type)).toBe(true);
        const values = isEnumType(type) ? type.getValues().map((v) => v.name) : [];
        expect(values).toEqual(expect.arrayContaining(definition.values!.map((v) => v.name.value)));
        break;
      }
      case 'InputObjectTypeDefinition': {
        expect(isInputObjectType(type)).toBe(true);
        if (!isInputObjectType(type)) break;
        const fields = type.getFields();
        for (const field of definition.fields ?? []) {
          const actual = fields[field.name.value];
          expect({ field: field.name.value, type: actual && String(actual.type), default: actual && apiDefault(actual) }).toEqual({
            field: field.name.value,
            type: typeString(field.type),
            default: defaultString(field.defaultValue),
          });
        }
        // A new input field must be optional, or old clients break.
        const known = new Set((definition.fields ?? []).map((f) => f.name.value));
        for (const extra of Object.values(fields).filter((f) => !known.has(f.name))) {
          expect({ field: extra.name, required: String(extra.type).endsWith('!') && extra.defaultValue === undefined }).toEqual({ field: extra.name, required: false });
        }
        break;
      }
      case 'ObjectTypeDefinition': {
        expect(isObjectType(type) || isInterfaceType(type)).toBe(true);
        if (!isObjectType(type)) break;
        const fields = type.getFields();
        for (const field of definition.fields ?? []) {
          const actual = fields[field.name.value];
          expect({ field: field.name.value, type: actual && String(actual.type) }).toEqual({ field: field.name.value, type: typeString(field.type) });
          for (const arg of field.arguments ?? []) {
            const actualArg = actual?.args.find((a) => a.name === arg.name.value);
            expect({ arg: `${field.name.value}(${arg.name.value})`, type: actualArg && String(actualArg.type), default: actualArg && apiDefault(actualArg) }).toEqual({
              arg: `${field.name.value}(${arg.name.value})`,
              type: typeString(arg.type),
              default: defaultString(arg.defaultValue),
            });
          }
          const knownArgs = new Set((field.arguments ?? []).map((a) => a.name.value));
          for (const extra of actual?.args.filter((a) => !knownArgs.has(a.name)) ?? []) {
            expect({ arg: extra.name, required: String(extra.type).endsWith('!') && extra.defaultValue === undefined }).toEqual({ arg: extra.name, required: false });
          }
        }
        break;
      }
      default:
        throw new Error(`Unexpected ${definition.kind} in the contract`);
    }
  });

  it('every type and field of the public schema has a description', () => {
    const missing: string[] = [];
    for (const type of Object.values(api.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the committed contract copy', () => {
  const shared = path.join(repoRoot(), '..', 'shared', 'api-contract.graphql');
  // The copy may add (new error codes, new fields) but never drop or change a line of the shared contract.
  (existsSync(shared) ? it : it.skip)('holds every line of the shared contract, in order', () => {
    const ours = readFileSync(path.join(schemaDir(), 'api-contract.graphql'), 'utf8').split('\n');
    let next = 0;
    const missing: string[] = [];
    for (const line of readFileSync(shared, 'utf8').split('\n')) {
      const found = ours.indexOf(line, next);
      if (found === -1) missing.push(line);
      else next = found + 1;
    }
    expect(missing).toEqual([]);
  });
});
