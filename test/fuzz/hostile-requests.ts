/**
 * Hostile requests generated from openapi.yaml (seeded, so every run sends the same ones): for every
 * operation, a plausible request built from its schemas, then broken in one way the spec says is
 * invalid — wrong types, NUL bytes, out-of-range and fractional integers, malformed ids and
 * percent-encoding, wrong content types and encodings, missing or invalid keys, oversized and deeply
 * nested bodies, unicode junk in constrained strings, unknown fields, missing fields, bad JSON, bad
 * query parameters. Each carries what the service must answer (a 4xx; 401/413/415 where exact).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  prefixItems?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  example?: unknown;
  default?: unknown;
}

interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  params: Param[];
  /** Content type -> schema. */
  bodies: Record<string, Schema>;
  secured: boolean;
  limits: Record<string, number>;
}

export interface HostileRequest {
  operationId: string;
  /** The kind of hostility (for the summary). */
  kind: string;
  method: string;
  /** Request target as sent (already percent-encoded where meant to be). */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send over a raw socket exactly these bytes (framing fetch and node:http refuse to produce). */
  raw?: Buffer;
  /** True when the spec makes this request invalid: it must be refused (4xx). */
  reject: boolean;
  /** The exact status required, where the spec fixes one. */
  status?: number;
}

export interface Context {
  /** Valid keys to send with requests that are not about authentication. */
  keys: string[];
  /** Keys that must be refused (revoked, unknown). */
  badKeys: string[];
  /** Existing resource ids by path prefix (/v1/models, /v1/layers): hostile bodies then reach deeper code. */
  ids: Record<string, string>;
}

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Spec = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
};

export function loadOperations(file: string): Operation[] {
  const spec = parseYaml(readFileSync(file, 'utf8')) as Spec;
  const deref = (s: Schema, depth = 0): Schema => {
    if (depth > 20) return {};
    if (s?.$ref) return deref(spec.components.schemas[s.$ref.replace('#/components/schemas/', '')], depth + 1);
    if (!s || typeof s !== 'object') return s;
    const out: Schema = { ...s };
    if (s.properties)
      out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, deref(v, depth + 1)]));
    if (s.items) out.items = deref(s.items, depth + 1);
    if (s.prefixItems) out.prefixItems = s.prefixItems.map((x) => deref(x, depth + 1));
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
      if (s[key]) out[key] = s[key]!.map((x) => deref(x, depth + 1));
    if (typeof s.additionalProperties === 'object') out.additionalProperties = deref(s.additionalProperties, depth + 1);
    return out;
  };
  const ops: Operation[] = [];
  for (const [p, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const rb = op.requestBody as { content: Record<string, { schema: Schema }> } | undefined;
      ops.push({
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        path: p,
        params: ((op.parameters as Param[]) ?? []).map((x) => ({ ...x, schema: deref(x.schema) })),
        bodies: Object.fromEntries(Object.entries(rb?.content ?? {}).map(([ct, c]) => [ct, deref(c.schema)])),
        secured: Array.isArray(op.security) && op.security.length > 0,
        limits: (op['x-body-limits'] as Record<string, number>) ?? {},
      });
    }
  }
  return ops;
}

// ---------- schema helpers ----------

const JSON_TYPES = ['string', 'number', 'boolean', 'object', 'array', 'null'] as const;

function branches(s: Schema): Schema[] {
  return s.anyOf ?? s.oneOf ?? (s.allOf ? [s.allOf[0]] : [s]);
}

/** JSON types a value at this schema may have; null when the schema says nothing (anything goes). */
function allowedTypes(s: Schema): Set<string> | null {
  const out = new Set<string>();
  for (const b of branches(s)) {
    if (b.anyOf || b.oneOf) {
      const inner = allowedTypes(b);
      if (!inner) return null;
      inner.forEach((t) => {
        out.add(t);
      });
      continue;
    }
    const types =
      b.type === undefined
        ? b.enum
          ? b.enum.map((v) => (v === null ? 'null' : typeof v))
          : b.const !== undefined
            ? [typeof b.const]
            : null
        : Array.isArray(b.type)
          ? b.type
          : [b.type];
    if (!types) return null;
    for (const t of types) out.add(t === 'integer' ? 'number' : t);
  }
  return out;
}

function isConstrainedString(s: Schema): boolean {
  return branches(s).every(
    (b) =>
      b.type === 'string' &&
      (b.format === 'uuid' || b.enum !== undefined || b.pattern !== undefined || b.format === 'date-time'),
  );
}

const UUIDS = [
  '3f1c2a9e-7b7d-4c1e-9a52-1d2f7f0c9b11',
  '00000000-0000-4000-8000-000000000000',
  'c0ffee00-1234-4abc-8def-0123456789ab',
];

/** A plausible value for the schema (examples, defaults, bounds). Validity is not required: every request is then broken. */
function sample(s: Schema, r: () => number, depth = 0): unknown {
  if (depth > 8) return null;
  const bs = branches(s);
  if (bs.length > 1 || bs[0] !== s) return sample(bs[Math.floor(r() * bs.length)], r, depth + 1);
  if (s.example !== undefined && r() < 0.7) return structuredClone(s.example);
  if (s.default !== undefined && r() < 0.5) return structuredClone(s.default);
  if (s.enum) return s.enum[Math.floor(r() * s.enum.length)];
  if (s.const !== undefined) return s.const;
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {}))
        if (s.required?.includes(k) || r() < 0.5) o[k] = sample(v, r, depth + 1);
      return o;
    }
    case 'array': {
      if (s.prefixItems) return s.prefixItems.map((x) => sample(x, r, depth + 1));
      const n = Math.max(1, s.minItems ?? 1);
      return Array.from({ length: n }, () => sample(s.items ?? {}, r, depth + 1));
    }
    case 'string':
      if (s.format === 'uuid') return UUIDS[Math.floor(r() * UUIDS.length)];
      if (s.format === 'date-time') return new Date(0).toISOString();
      return 'abc'.repeat(Math.ceil((s.minLength ?? 1) / 3));
    case 'integer':
      return Math.max(s.minimum ?? 0, Math.min(s.maximum ?? 5, 5));
    case 'number':
      return Math.max(s.minimum ?? 0.5, Math.min(s.maximum ?? 2.5, 2.5)) || 1;
    case 'boolean':
      return true;
    default:
      return 'x';
  }
}

interface Leaf {
  path: (string | number)[];
  schema: Schema;
  value: unknown;
}

/** The sampled value's fields with their schemas (choosing the union branch that fits the value's shape). */
function leaves(s: Schema, value: unknown, path: (string | number)[] = [], out: Leaf[] = []): Leaf[] {
  out.push({ path, schema: s, value });
  const bs = branches(s);
  const b =
    bs.find(
      (x) =>
        (Array.isArray(value)
          ? x.type === 'array'
          : value !== null && typeof value === 'object'
            ? x.type === 'object'
            : false) &&
        (!x.properties || Object.keys(value as object).every((k) => k in x.properties!)),
    ) ?? (bs.length === 1 ? bs[0] : undefined);
  if (!b) return out;
  if (Array.isArray(value))
    value.forEach((v, i) => {
      leaves(b.prefixItems?.[i] ?? b.items ?? {}, v, [...path, i], out);
    });
  else if (value !== null && typeof value === 'object' && b.properties)
    for (const [k, v] of Object.entries(value)) if (b.properties[k]) leaves(b.properties[k], v, [...path, k], out);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = value;
  return copy;
}

function deleteAt(root: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  delete cur[path[path.length - 1]];
  return copy;
}

/** Integers the schema forbids: outside its bounds, unsafe, fractional. */
function badIntegers(s: Schema): number[] {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : Number.MIN_SAFE_INTEGER);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : Number.MAX_SAFE_INTEGER);
  const candidates = [
    max + 1,
    min - 1,
    2 ** 31,
    2 ** 31 + 1,
    -(2 ** 31) - 1,
    2 ** 53,
    2 ** 63,
    -(2 ** 63),
    1e308,
    -1e308,
    1.5,
    0.1,
    -0.5,
    min + 0.5,
  ];
  return candidates.filter((v) => !Number.isInteger(v) || v < min || v > max || !Number.isSafeInteger(v));
}

const UNICODE_JUNK = [
  '\u202Eevil',
  '\uFEFFid',
  'e\u0301\u0301\u0301',
  '\u{1F4A5}\u{1F4A5}',
  '\uFFFF',
  'a\u200Bb',
  '\u0085\u2028\u2029',
  'ＳＵＢＪ０１',
  'ǅǈ',
  '\uD800',
  '\uDFFFx',
  '🏳️‍🌈',
];

/** Strings that no uuid, enum, pattern or date-time accepts (patterns here are ASCII). */
function junkFor(s: Schema, r: () => number): string {
  const j = UNICODE_JUNK[Math.floor(r() * UNICODE_JUNK.length)];
  const b = branches(s)[0];
  if (b.format === 'uuid') return r() < 0.5 ? `${UUIDS[0].slice(0, 30)}${j}` : j;
  return `${j}${String(b.enum?.[0] ?? '')}${j}`;
}

function percentEncodeLoose(s: string): string {
  // encodeURIComponent throws on lone surrogates; encode those as the (invalid) bytes a hostile client sends.
  let out = '';
  for (const ch of s) {
    try {
      out += encodeURIComponent(ch);
    } catch {
      out += '%ED%A0%80';
    }
  }
  return out;
}

// ---------- request building ----------

interface Draft {
  pathValues: Record<string, string>;
  query: [string, string][];
  body?: unknown;
  contentType?: string;
  headers: Record<string, string>;
}

function target(op: Operation, d: Draft): string {
  let p = op.path;
  for (const [k, v] of Object.entries(d.pathValues)) p = p.replace(`{${k}}`, v);
  const q = d.query.map(([k, v]) => `${k}=${v}`).join('&');
  return q ? `${p}?${q}` : p;
}

function jsonBytes(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v) ?? 'null');
}

function rawHead(method: string, t: string, headers: Record<string, string>): string {
  return [
    `${method} ${t} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
}

export function generateHostileRequests(
  ops: Operation[],
  ctx: Context,
  opts: { seed: number; total: number },
): HostileRequest[] {
  const r = rng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const perOp = Math.ceil(opts.total / ops.length);
  const out: HostileRequest[] = [];

  for (const op of ops) {
    const jsonSchema = op.bodies['application/json'];
    const hasBody = Object.keys(op.bodies).length > 0;
    const pathParams = op.params.filter((p) => p.in === 'path');
    const queryParams = op.params.filter((p) => p.in === 'query');

    const base = (): Draft => {
      const pathValues: Record<string, string> = {};
      for (const p of pathParams) {
        const known = Object.entries(ctx.ids).find(([prefix]) => op.path.startsWith(`${prefix}/{`))?.[1];
        pathValues[p.name] = known && r() < 0.7 ? known : pick(UUIDS);
      }
      const query: [string, string][] = [];
      for (const p of queryParams)
        if (p.required || r() < 0.3) query.push([p.name, encodeURIComponent(String(sample(p.schema, r)))]);
      const headers: Record<string, string> = {};
      if (op.secured) headers.Authorization = `Bearer ${pick(ctx.keys)}`;
      return {
        pathValues,
        query,
        body: jsonSchema ? sample(jsonSchema, r) : undefined,
        // A route without a JSON body (raw bytes: a resumable upload's piece) gets its own type.
        contentType: hasBody ? (jsonSchema ? 'application/json' : Object.keys(op.bodies)[0]) : undefined,
        headers,
      };
    };

    const finish = (kind: string, d: Draft, reject: boolean, status?: number, bodyBytes?: Buffer): HostileRequest => {
      const headers = { ...d.headers };
      let body = bodyBytes;
      if (!body && d.body !== undefined && hasBody) body = jsonBytes(d.body);
      if (d.contentType) headers['Content-Type'] = d.contentType;
      return {
        operationId: op.operationId,
        kind,
        method: op.method,
        target: target(op, d),
        headers,
        body,
        reject,
        status,
      };
    };

    // Each mutation returns a request or null when it does not apply to this operation.
    type Mutation = () => HostileRequest | null;
    const bodyLeaves = () => {
      const d = base();
      return { d, ls: jsonSchema ? leaves(jsonSchema, d.body).filter((l) => l.path.length > 0) : [] };
    };
    const mutations: Record<string, Mutation> = {
      'wrong-type': () => {
        const { d, ls } = bodyLeaves();
        const targets = ls.map((l) => ({ l, allowed: allowedTypes(l.schema) })).filter((x) => x.allowed);
        if (targets.length === 0) return null;
        const { l, allowed } = pick(targets);
        const t = pick(JSON_TYPES.filter((x) => !allowed!.has(x)));
        const v = { string: '12', number: 12, boolean: false, object: { a: 1 }, array: [1, 'a'], null: null }[t];
        return finish('wrong-type', { ...d, body: setAt(d.body, l.path, v) }, true, 400);
      },
      'root-type': () => {
        if (!jsonSchema) return null;
        return finish('wrong-type', { ...base(), body: pick([[], [{}], 'text', 42, true]) }, true);
      },
      'nul-body': () => {
        const { d, ls } = bodyLeaves();
        const strings = ls.filter((l) => typeof l.value === 'string');
        if (strings.length === 0) return null;
        const l = pick(strings);
        const s = String(l.value);
        const at = Math.floor(r() * (s.length + 1));
        return finish(
          'nul-byte',
          { ...d, body: setAt(d.body, l.path, `${s.slice(0, at)}\u0000${s.slice(at)}`) },
          true,
          400,
        );
      },
      'nul-key': () => {
        const { d, ls } = bodyLeaves();
        const objects = ls
          .filter((l) => l.value && typeof l.value === 'object' && !Array.isArray(l.value))
          .concat(
            d.body && typeof d.body === 'object' && !Array.isArray(d.body)
              ? [{ path: [], schema: {}, value: d.body }]
              : [],
          );
        if (objects.length === 0) return null;
        const l = pick(objects);
        return finish(
          'nul-byte',
          { ...d, body: setAt(d.body, l.path, { ...(l.value as object), 'k\u0000': 1 }) },
          true,
          400,
        );
      },
      'nul-query': () => {
        const strings = queryParams.filter((p) => allowedTypes(p.schema)?.has('string'));
        if (strings.length === 0) return null;
        const d = base();
        const p = pick(strings);
        d.query = d.query
          .filter(([k]) => k !== p.name)
          .concat([[p.name, pick(['%00', 'a%00b', '%00%00', 'subj01%00'])]]);
        return finish('nul-byte', d, true, 400);
      },
      'nul-path': () => {
        if (pathParams.length === 0) return null;
        const d = base();
        d.pathValues[pathParams[0].name] = pick([`${UUIDS[0]}%00`, '%00', `%00${UUIDS[1]}`]);
        return finish('nul-byte', d, true, 400);
      },
      'int-bounds': () => {
        const { d, ls } = bodyLeaves();
        const ints = ls.filter((l) => branches(l.schema).every((b) => b.type === 'integer'));
        if (ints.length === 0) return null;
        const l = pick(ints);
        return finish(
          'int-bounds',
          { ...d, body: setAt(d.body, l.path, pick(badIntegers(branches(l.schema)[0]))) },
          true,
          400,
        );
      },
      'int-bounds-query': () => {
        const ints = queryParams.filter((p) =>
          branches(p.schema).every(
            (b) => b.type === 'integer' || (Array.isArray(b.type) && b.type.includes('integer')),
          ),
        );
        if (ints.length === 0) return null;
        const d = base();
        const p = pick(ints);
        const v = pick([
          ...badIntegers(branches(p.schema)[0]).map(String),
          '1e400',
          '-1e400',
          'NaN',
          'Infinity',
          'abc',
          '1_000',
          '12abc',
          '%zz',
          `${'9'.repeat(400)}`,
        ]);
        d.query = d.query.filter(([k]) => k !== p.name).concat([[p.name, encodeURIComponent(v)]]);
        return finish('int-bounds', d, true, 400);
      },
      'bad-id': () => {
        if (pathParams.length === 0) return null;
        const d = base();
        const bad = pick([
          'not-a-uuid',
          '%',
          '%zz',
          '%E0%A4%A',
          '%2e%2e',
          '..',
          'x'.repeat(3000),
          '%F0%9F%92%A5',
          `${UUIDS[0]}x`,
          `${UUIDS[0].slice(1)}`,
          '%C0%AF',
          '1',
          '-1',
          'null',
          'undefined',
          '%20',
          `${UUIDS[0]}%20`,
          '%2F',
          "'%20OR%201=1--",
          '%3Cscript%3E',
          `{id}`,
        ]);
        d.pathValues[pathParams[0].name] = bad;
        return finish('bad-id', d, true);
      },
      'raw-unicode-path': () => {
        if (pathParams.length === 0) return null;
        const d = base();
        d.pathValues[pathParams[0].name] = pick(['\u00e9', '\u{1F4A5}', '\u0000', 'a b']);
        const body = d.body !== undefined && hasBody ? jsonBytes(d.body) : Buffer.alloc(0);
        const headers: Record<string, string> = {
          ...d.headers,
          'Content-Length': String(body.length),
          Connection: 'close',
        };
        if (d.contentType) headers['Content-Type'] = d.contentType;
        const raw = Buffer.concat([Buffer.from(rawHead(op.method, target(op, d), headers), 'utf8'), body]);
        return {
          operationId: op.operationId,
          kind: 'bad-id',
          method: op.method,
          target: target(op, d),
          headers,
          raw,
          reject: true,
        };
      },
      'content-type': () => {
        if (!hasBody) return null;
        const d = base();
        const wrong = pick(
          [
            'text/plain',
            'application/xml',
            'application/x-www-form-urlencoded',
            'text/json',
            'application/octet-stream',
            'image/png',
            'application/jsonx',
            'json',
            '*/*',
            ...(op.bodies['multipart/form-data'] ? [] : ['multipart/form-data; boundary=x']),
            undefined,
          ].filter((t) => t === undefined || !(t in op.bodies)),
        );
        return finish('content-type', { ...d, contentType: wrong }, true, 415);
      },
      charset: () => {
        if (!jsonSchema) return null;
        const d = base();
        return finish(
          'content-type',
          { ...d, contentType: `application/json; charset=${pick(['latin1', 'ebcdic', 'x-unknown', 'us-ascii'])}` },
          true,
          415,
        );
      },
      'no-key': () => {
        if (!op.secured) return null;
        const d = base();
        const h = pick([
          undefined,
          `Bearer ${pick(ctx.badKeys)}`,
          'Basic dXNlcjpwYXNz',
          'Bearer',
          'Bearer  ',
          `Token ${ctx.keys[0]}`,
          `Bearer ${ctx.keys[0]}x`,
          `Bearer ${ctx.keys[0].slice(0, -1)}`,
          `${ctx.keys[0]}`,
        ]);
        if (h === undefined) delete d.headers.Authorization;
        else d.headers.Authorization = h;
        // The key is checked before anything else is read: an invalid body still gets 401.
        return finish('auth', d, true, 401, hasBody && r() < 0.3 ? Buffer.from('{"broken": ') : undefined);
      },
      'oversized-declared': () => {
        if (!hasBody || Object.keys(op.limits).length === 0) return null;
        const d = base();
        const [ct, limit] = pick(Object.entries(op.limits));
        const declared = pick([limit + 1, limit * 2, Math.max(2_000_000_000, limit + 1), 2 ** 40]);
        const headers: Record<string, string> = {
          ...d.headers,
          'Content-Type': ct === 'multipart/form-data' ? 'multipart/form-data; boundary=zzz' : ct,
          'Content-Length': String(declared),
        };
        const raw = Buffer.concat([
          Buffer.from(rawHead(op.method, target(op, d), headers)),
          Buffer.from('{"name": "'.repeat(10)),
        ]);
        return {
          operationId: op.operationId,
          kind: 'oversized',
          method: op.method,
          target: target(op, d),
          headers,
          raw,
          reject: true,
          status: 413,
        };
      },
      'oversized-chunked': () => {
        const limit = op.limits['application/json'];
        if (!jsonSchema || !limit || limit > 2 ** 20 || r() < 0.7) return null;
        const d = base();
        const big = JSON.stringify({ pad: 'x'.repeat(limit) });
        const headers: Record<string, string> = {
          ...d.headers,
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
          Connection: 'close',
        };
        const raw = Buffer.concat([
          Buffer.from(rawHead(op.method, target(op, d), headers)),
          Buffer.from(`${Buffer.byteLength(big).toString(16)}\r\n${big}\r\n0\r\n\r\n`),
        ]);
        return {
          operationId: op.operationId,
          kind: 'oversized',
          method: op.method,
          target: target(op, d),
          headers,
          raw,
          reject: true,
          status: 413,
        };
      },
      'deep-nesting': () => {
        if (!jsonSchema) return null;
        const { d, ls } = bodyLeaves();
        const n = pick([40, 200, 5000, 100_000]);
        const nested = pick(['[', '{"a":']);
        const close = nested === '[' ? ']' : '}';
        const deep = `${nested.repeat(n)}1${close.repeat(n)}`;
        const l = ls.length ? pick(ls) : null;
        const text = l ? JSON.stringify(setAt(d.body, l.path, '__DEEP__')).replace('"__DEEP__"', deep) : deep;
        return finish('deep-nesting', d, true, 400, Buffer.from(text));
      },
      'unicode-junk': () => {
        const { d, ls } = bodyLeaves();
        const constrained = ls.filter((l) => typeof l.value === 'string' && isConstrainedString(l.schema));
        if (constrained.length === 0) return null;
        const l = pick(constrained);
        return finish('unicode-junk', { ...d, body: setAt(d.body, l.path, junkFor(l.schema, r)) }, true, 400);
      },
      'unicode-junk-query': () => {
        if (queryParams.length === 0) return null;
        const d = base();
        const p = pick(queryParams);
        const constrained = isConstrainedString(p.schema) || branches(p.schema).every((b) => b.type === 'integer');
        d.query = d.query.filter(([k]) => k !== p.name).concat([[p.name, percentEncodeLoose(junkFor(p.schema, r))]]);
        return finish('unicode-junk', d, constrained, constrained ? 400 : undefined);
      },
      'extra-field': () => {
        const { d, ls } = bodyLeaves();
        const strict = ls
          .concat(jsonSchema ? [{ path: [], schema: jsonSchema, value: d.body }] : [])
          .filter(
            (l) =>
              l.value &&
              typeof l.value === 'object' &&
              !Array.isArray(l.value) &&
              branches(l.schema).every((b) => b.type === 'object' && b.additionalProperties === false),
          );
        if (strict.length === 0) return null;
        const l = pick(strict);
        const key = pick([
          '__proto__',
          'constructor',
          'extra',
          'isAdmin',
          '\u{1F4A5}',
          'Name',
          ' name',
          'prototype',
          '$where',
        ]);
        const v = l.path.length ? { ...(l.value as object) } : { ...(d.body as object) };
        Object.defineProperty(v, key, {
          value: pick([1, 'x', { polluted: true }, null]),
          enumerable: true,
          configurable: true,
          writable: true,
        });
        return finish('extra-field', { ...d, body: setAt(d.body, l.path, v) }, true, 400);
      },
      'missing-required': () => {
        const { d, ls } = bodyLeaves();
        const withRequired = ls
          .concat(jsonSchema ? [{ path: [], schema: jsonSchema, value: d.body }] : [])
          .filter(
            (l) =>
              l.value &&
              typeof l.value === 'object' &&
              !Array.isArray(l.value) &&
              branches(l.schema).length === 1 &&
              (branches(l.schema)[0].required?.length ?? 0) > 0,
          );
        if (withRequired.length === 0) return null;
        const l = pick(withRequired);
        const req = pick(branches(l.schema)[0].required!);
        // A union sibling may not need the field (SAE import vs train); only single-shape bodies count.
        if (jsonSchema && branches(jsonSchema).length > 1) return null;
        return finish('missing-required', { ...d, body: deleteAt(d.body, [...l.path, req]) }, true, 400);
      },
      'bad-json': () => {
        if (!jsonSchema) return null;
        const d = base();
        const text = JSON.stringify(d.body ?? {});
        const broken = pick([
          text.slice(0, Math.max(1, text.length - 1 - Math.floor(r() * 5))),
          `${text}x`,
          `${text},`,
          text.replace(/"/g, "'"),
          text.replace(/:/, ':NaN,"z":'),
          `{"a":Infinity}`,
          `{"a":01}`,
          `{"a":"\\x41"}`,
          `{"a":"\\uZZZZ"}`,
          '{}{}',
          '"just a string"',
          '12',
          'null',
          `{"a":"${'\\'.repeat(3)}"}`,
          '\u0000',
        ]);
        return finish('bad-json', d, true, 400, Buffer.from(broken));
      },
      'bad-encoding': () => {
        if (!jsonSchema) return null;
        const d = base();
        const enc = pick(['gzip', 'deflate', 'br', 'compress', 'x-custom', 'gzip, br', 'identity, gzip']);
        d.headers['Content-Encoding'] = enc;
        const unknown = !['gzip', 'deflate', 'br'].includes(enc);
        return finish('bad-encoding', d, true, unknown ? 415 : 400);
      },
      'bad-query': () => {
        if (queryParams.length === 0) return null;
        const d = base();
        const p = pick(queryParams);
        const form = pick(['twice', 'object', 'empty-uuid']);
        const isUuidOrEnum = isConstrainedString(p.schema);
        d.query = d.query.filter(([k]) => k !== p.name);
        if (form === 'twice') d.query.push([p.name, 'a'], [p.name, 'b']);
        else if (form === 'object') d.query.push([`${p.name}[x]`, '1'], [`${p.name}[y][z]`, '2']);
        else d.query.push([p.name, isUuidOrEnum ? pick(['', '%', '%zz', 'x'.repeat(5000)]) : '%zz']);
        return finish('bad-query', d, form !== 'empty-uuid' || isUuidOrEnum, undefined);
      },
      'extra-query': () => {
        const d = base();
        d.query.push([
          pick([
            '__proto__[x]',
            'constructor[prototype][a]',
            'x'.repeat(2000),
            '%00',
            'a[b][c][d][e][f][g][h][i][j][k][l][m][n]',
            'limit[]',
          ]),
          pick(['1', '%00', '%', '💥'].map(percentEncodeLoose)),
        ]);
        // Unknown query parameters are ignored by design (reads); a write must still be refused for its broken body.
        return finish(
          'extra-query',
          {
            ...d,
            body: hasBody ? { ...(typeof d.body === 'object' && d.body ? d.body : {}), __extra__: 1 } : undefined,
          },
          hasBody,
        );
      },
      // Paths the service must refuse to read: outside the roots, special files, folders, the wrong kind of file.
      'file-junk': () => {
        const { d, ls } = bodyLeaves();
        const paths = ls.filter(
          (l) => typeof l.value === 'string' && /path|root/i.test(String(l.path[l.path.length - 1])),
        );
        if (paths.length === 0) return null;
        const l = pick(paths);
        const v = pick([
          '.',
          '..',
          '/',
          'acts',
          'acts/',
          'acts/../..',
          '/dev/zero',
          '/dev/urandom',
          '/proc/self/environ',
          '/proc/self/mem',
          'acts/l1.npy/x',
          'acts/missing.npy',
          '\\\\server\\share\\x',
          'C:\\x.npy',
          '~/x.npy',
          'acts/%2e%2e/x',
          'acts/ids.npy',
          'acts/l1.npy',
          'x'.repeat(5000),
        ]);
        return finish('file-junk', { ...d, body: setAt(d.body, l.path, v) }, true);
      },
      'wrong-method': () => {
        const d = base();
        const m = pick(['PUT', 'PATCH', ...(op.method === 'GET' ? ['DELETE', 'POST'] : ['GET']), 'OPTIONS', 'TRACE']);
        // Another operation may live on the same path with that method (GET and DELETE /v1/jobs/{id}).
        const other = ops.some((o) => o.path === op.path && o.method === m);
        if (other || m === 'OPTIONS') return null;
        return { ...finish('wrong-method', d, true), method: m };
      },
      multipart: () => {
        if (!op.bodies['multipart/form-data']) return null;
        const d = base();
        const boundary = `b${Math.floor(r() * 1e9)}`;
        const part = (name: string, value: string, filename?: string) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
        const variants = [
          part('name', 'x\u0000y') + part('activations', 'npy', 'a.npy') + part('stimulusIds', '[1]', 'i.json'),
          part('name', 'ok') +
            part('position', pick(['2147483648', '-1', '1.5', 'abc', '1e9999'])) +
            part('activations', 'npy', 'a.npy') +
            part('stimulusIds', '[1]', 'i.json'),
          part('name', 'ok'),
          part('name', 'ok') + part('activations', 'junk', 'a.npy') + part('stimulusIds', '[1]', 'i.json'),
          part('name', 'ok') +
            part('activations', 'junk', 'a\u0000.npy') +
            part('stimulusIds', '[1]', '../../etc/passwd'),
          part('name', 'ok') + part('other', 'x', 'o.npy'),
          part('name', 'ok') + part('activations', 'a', 'a.npy') + part('activations', 'b', 'b.npy'),
          `--${boundary}\r\nbroken`,
          '',
        ];
        const body = `${pick(variants)}--${boundary}--\r\n`;
        return finish(
          'multipart',
          { ...d, contentType: pick([`multipart/form-data; boundary=${boundary}`, 'multipart/form-data']) },
          true,
          undefined,
          Buffer.from(body),
        );
      },
    };

    // Every mutation once; multipart (one route, many shapes) and file paths (few fields, much risk) more often.
    const weight: Record<string, number> = { multipart: 6, 'file-junk': 5 };
    const names = Object.keys(mutations).flatMap((n) => Array(weight[n] ?? 1).fill(n));
    let made = 0;
    let attempts = 0;
    while (made < perOp && attempts < perOp * 50) {
      attempts++;
      const req = mutations[pick(names)]();
      if (!req) continue;
      out.push(req);
      made++;
    }
  }
  return out;
}
