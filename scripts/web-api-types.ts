/**
 * The dashboard's API types (web/src/api-types.ts), written from the OpenAPI document's component schemas so
 * that the pages read the shapes the service declares instead of a hand copy. `npm run openapi` writes them
 * with openapi.yaml; test/unit/web-api-types.test.ts fails when the committed file is stale.
 * Covers the JSON Schema the zod schemas produce: $ref, type (and type lists with "null"), enum, const,
 * properties/required, additionalProperties, items, prefixItems, anyOf/oneOf, allOf.
 */
import { execFileSync } from 'node:child_process';
import { buildOpenApiDocument } from '../src/http/openapi';

export const WEB_API_TYPES_FILE = 'web/src/api-types.ts';

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  prefixItems?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  description?: string;
};

const HEADER = `/**
 * Generated from the service's OpenAPI schemas by \`npm run openapi\` (scripts/web-api-types.ts): do not edit.
 * The dashboard reads these shapes; a test fails when this file is stale.
 */
`;

function doc(description: string | undefined, indent: string): string {
  if (!description) return '';
  const lines = description.replace(/\*\//g, '*\\/').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** Whether `t` has a `|` or `&` outside brackets (then `t[]` needs parentheses). */
function hasTopLevelOperator(t: string): boolean {
  let depth = 0;
  for (const c of t) {
    if ('{[(<'.includes(c)) depth++;
    else if ('}])>'.includes(c)) depth--;
    else if (depth === 0 && (c === '|' || c === '&')) return true;
  }
  return false;
}

const union = (parts: string[]): string => [...new Set(parts)].join(' | ');
const element = (t: string): string => (hasTopLevelOperator(t) ? `(${t})[]` : `${t}[]`);

function objectType(s: Schema, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set(s.required ?? []);
  const props = Object.entries(s.properties ?? {}).map(
    ([name, p]) =>
      `${doc(p.description, inner)}${inner}${/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name)}${
        required.has(name) ? '' : '?'
      }: ${typeOf(p, inner)};`,
  );
  const extra = s.additionalProperties;
  const rest = extra === undefined || extra === false ? null : extra === true ? 'unknown' : typeOf(extra, inner);
  if (props.length === 0) return `Record<string, ${rest ?? 'unknown'}>`;
  const body = `{\n${props.join('\n')}\n${indent}}`;
  return rest === null ? body : `${body} & Record<string, ${rest}>`;
}

/** One JSON Schema type name (of a `type` list) with the schema's other keywords. */
function namedType(t: string, s: Schema, indent: string): string {
  switch (t) {
    case 'null':
      return 'null';
    case 'string':
    case 'boolean':
      return t;
    case 'number':
    case 'integer':
      return 'number';
    case 'array':
      if (s.prefixItems) return `[${s.prefixItems.map((p) => typeOf(p, indent)).join(', ')}]`;
      return element(s.items ? typeOf(s.items, indent) : 'unknown');
    case 'object':
      return objectType(s, indent);
    default:
      throw new Error(`unsupported schema type ${t}`);
  }
}

function typeOf(s: Schema, indent = ''): string {
  const alternatives = s.anyOf ?? s.oneOf;
  let t: string;
  if (s.$ref) t = s.$ref.replace('#/components/schemas/', '');
  else if (s.enum) t = union(s.enum.map((v) => JSON.stringify(v)));
  else if (s.const !== undefined) t = JSON.stringify(s.const);
  else if (alternatives) t = union(alternatives.map((x) => typeOf(x, indent)));
  else if (s.allOf) {
    // zod-to-openapi describes a $ref through allOf [ref, {description}]: the empty member adds nothing.
    const parts = s.allOf.map((x) => typeOf(x, indent)).filter((x) => x !== 'unknown');
    t = parts.length ? parts.join(' & ') : 'unknown';
  } else if (Array.isArray(s.type)) t = union(s.type.map((x) => namedType(x, s, indent)));
  else if (s.type) t = namedType(s.type, s, indent);
  else if (s.properties) t = objectType(s, indent);
  else t = 'unknown';
  return s.nullable && !t.endsWith('| null') ? `${t} | null` : t;
}

function biomeFormatted(text: string): string {
  return execFileSync(
    process.execPath,
    ['node_modules/@biomejs/biome/bin/biome', 'format', `--stdin-file-path=${WEB_API_TYPES_FILE}`],
    { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] },
  );
}

/** The text of web/src/api-types.ts for the current route declarations. */
export function webApiTypes(): string {
  const components = (buildOpenApiDocument().components ?? {}) as { schemas?: Record<string, Schema> };
  const body = Object.entries(components.schemas ?? {})
    .map(([name, s]) => `${doc(s.description, '')}export type ${name} = ${typeOf(s)};\n`)
    .join('\n');
  return biomeFormatted(`${HEADER}\n${body}`);
}
