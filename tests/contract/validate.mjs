#!/usr/bin/env node
// Contract check: validates the HTTP answers recorded by the C integration tests against
// api/openapi.yaml.
//
//   node tests/contract/validate.mjs <openapi.yaml> <records.jsonl>
//   node tests/contract/validate.mjs --selftest [<openapi.yaml>] [<selftest.jsonl>]
//
// A record is one JSON object per line:
//   {"method": "GET", "path": "/v1/citizens/{cpr}", "status": 200,
//    "content_type": "application/json", "body": {...} | "text"}
// where "path" is the route template exactly as written in the spec, or null for a path the
// router does not know. Records with a null template, or with a method the path does not have,
// are router-level answers and are checked against the document's
// `x-glasplade-router-responses` (falling back to the Problem schema).
//
// A record fails when its status is not documented for the operation, its content type is not
// documented for that response, or its body does not validate against the documented schema
// (JSON Schema 2020-12, Ajv). A problem document must also carry the HTTP status in `status`.
// Before the records, the document itself is checked: every local $ref must resolve and every
// component must be referenced from somewhere (Redocly's no-unused-components cannot see the
// refs inside x-glasplade-router-responses, so it is off in redocly.yaml and done here).
//
// The last line is always `contract: N passed, M failed`; the exit status is 0 only when
// M == 0 and N > 0 (no records means the tests recorded nothing, which is a failure).
//
// In --selftest mode each record carries "expect": "pass" | "fail" (and, for "fail", an
// optional "why": a substring the failure message must contain); the run checks that every
// record comes out as expected.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const SPEC_ID = 'openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ROUTER_KEY = 'x-glasplade-router-responses';
const MAX_PRINTED_RECORD = 4000;

// ---------------------------------------------------------------------------------------------
// JSON pointers and $refs

function escapeToken(t) {
  return String(t).replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeToken(t) {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

// Pointer (array of raw tokens) to a URI fragment Ajv understands: "#/a/b~1c/%7Bx%7D".
function fragment(tokens) {
  return '#' + tokens.map((t) => '/' + encodeURIComponent(escapeToken(t))).join('');
}

function pointerText(tokens) {
  return '#' + tokens.map((t) => '/' + escapeToken(t)).join('');
}

function refTokens(ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#')) return null;
  const frag = decodeURIComponent(ref.slice(1));
  if (frag === '') return [];
  if (!frag.startsWith('/')) return null;
  return frag.slice(1).split('/').map(unescapeToken);
}

function getAt(doc, tokens) {
  let node = doc;
  for (const t of tokens) {
    if (node === null || typeof node !== 'object' || !(t in node)) return undefined;
    node = node[t];
  }
  return node;
}

// Follows a chain of {$ref} objects; returns {node, tokens} of the final target, or throws.
function follow(doc, node, tokens) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    const target = refTokens(node.$ref);
    if (target === null) throw new Error(`unsupported $ref ${node.$ref} at ${pointerText(tokens)}`);
    const key = target.join('/');
    if (seen.has(key)) throw new Error(`$ref cycle at ${node.$ref}`);
    seen.add(key);
    tokens = target;
    node = getAt(doc, target);
    if (node === undefined) throw new Error(`$ref ${tokens.join('/')} does not resolve`);
  }
  return { node, tokens };
}

// ---------------------------------------------------------------------------------------------
// Checks on the document itself

function checkSpec(doc) {
  const problems = [];
  const referenced = new Set();
  const walk = (node, tokens) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, tokens.concat(i)));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') {
      const target = refTokens(node.$ref);
      if (target === null) {
        problems.push(`${pointerText(tokens)}: $ref ${node.$ref} is not a local reference`);
      } else if (getAt(doc, target) === undefined) {
        problems.push(`${pointerText(tokens)}: $ref ${node.$ref} does not resolve`);
      } else if (target[0] === 'components' && target.length >= 3) {
        // A component referenced from inside itself does not count as used.
        const self = tokens[0] === 'components' && tokens[1] === target[1] && tokens[2] === target[2];
        if (!self) referenced.add(`${target[1]}/${target[2]}`);
      }
    }
    for (const [k, v] of Object.entries(node)) walk(v, tokens.concat(k));
  };
  walk(doc, []);

  // Security schemes are used by name in security requirements.
  const securityNames = new Set();
  const addSecurity = (reqs) => {
    for (const req of reqs ?? []) for (const name of Object.keys(req ?? {})) securityNames.add(name);
  };
  addSecurity(doc.security);
  for (const item of Object.values(doc.paths ?? {})) {
    for (const m of METHODS) if (item?.[m]) addSecurity(item[m].security);
  }

  for (const [kind, members] of Object.entries(doc.components ?? {})) {
    for (const name of Object.keys(members ?? {})) {
      if (kind === 'securitySchemes') {
        if (!securityNames.has(name)) problems.push(`components/securitySchemes/${name} is never used`);
      } else if (!referenced.has(`${kind}/${name}`)) {
        problems.push(`components/${kind}/${name} is never referenced`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The checker

function mediaBase(ct) {
  return String(ct ?? '').split(';')[0].trim().toLowerCase();
}

function isJsonMedia(base) {
  return base === 'application/json' || base.endsWith('+json');
}

function findMedia(content, contentType) {
  const want = mediaBase(contentType);
  const keys = Object.keys(content);
  const exact = keys.find((k) => mediaBase(k) === want);
  if (exact !== undefined) return exact;
  const [type] = want.split('/');
  return keys.find((k) => mediaBase(k) === `${type}/*`) ?? keys.find((k) => mediaBase(k) === '*/*');
}

function isEmptyBody(body) {
  return body === undefined || body === null || body === '';
}

export function makeChecker(doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // OpenAPI's numeric formats, so Ajv does not warn about unknown formats.
  ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addSchema(doc, SPEC_ID);

  const validators = new Map();
  const validatorAt = (tokens) => {
    const key = tokens.join('\u0000');
    let v = validators.get(key);
    if (!v) {
      v = ajv.compile({ $ref: SPEC_ID + fragment(tokens) });
      validators.set(key, v);
    }
    return v;
  };

  const router = doc[ROUTER_KEY];
  const exercised = new Set();

  // Returns null when the record passes, else a one-line reason.
  function check(rec) {
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return 'record is not a JSON object';
    const { method, status } = rec;
    const template = rec.path;
    if (typeof method !== 'string' || method === '') return 'record has no "method"';
    if (!Number.isInteger(status)) return 'record has no integer "status"';
    if (template !== null && typeof template !== 'string') return 'record "path" must be a template string or null';

    const m = method.toLowerCase();
    let responses;
    let responsesTokens;
    let where;
    if (template !== null && !(doc.paths && template in doc.paths)) {
      return `path template ${template} is not in the spec (use null for paths the router does not know)`;
    }
    const item = template === null ? undefined : doc.paths[template];
    if (item && METHODS.includes(m) && item[m]) {
      responses = item[m].responses ?? {};
      responsesTokens = ['paths', template, m, 'responses'];
      where = `${method.toUpperCase()} ${template}`;
      exercised.add(`${m} ${template}`);
    } else {
      where = `router-level answer to ${method.toUpperCase()} ${template ?? '(unknown path)'}`;
      if (router && typeof router === 'object') {
        responses = router;
        responsesTokens = [ROUTER_KEY];
      }
    }

    let respTokens;
    let resp;
    if (responses) {
      const code = String(status);
      const range = `${code[0]}XX`;
      const key = code in responses ? code : range in responses ? range : 'default' in responses ? 'default' : null;
      if (key === null) {
        const documented = Object.keys(responses).join(', ');
        return `status ${status} is not documented for ${where} (documented: ${documented})`;
      }
      ({ node: resp, tokens: respTokens } = follow(doc, responses[key], responsesTokens.concat(key)));
    } else {
      // No router-level responses in the document: any problem document will do.
      if (status < 400) return `status ${status} is not documented for ${where}`;
      resp = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      respTokens = null;
    }

    const content = resp.content ?? {};
    if (Object.keys(content).length === 0) {
      if (!isEmptyBody(rec.body)) return `${where} ${status} documents no body, but one was sent`;
      return null;
    }
    if (typeof rec.content_type !== 'string' || rec.content_type === '') {
      return `${where} ${status} has no Content-Type (documented: ${Object.keys(content).join(', ')})`;
    }
    const mediaKey = findMedia(content, rec.content_type);
    if (mediaKey === undefined) {
      return `content type ${rec.content_type} is not documented for ${where} ${status} (documented: ${Object.keys(content).join(', ')})`;
    }
    const media = content[mediaKey] ?? {};
    if (media.schema !== undefined) {
      const validate = respTokens
        ? validatorAt(respTokens.concat('content', mediaKey, 'schema'))
        : validatorAt(['components', 'schemas', 'Problem']);
      // A streamed answer (NDJSON): the schema describes one line; every line must match.
      if (mediaBase(mediaKey) === 'application/x-ndjson') {
        if (typeof rec.body !== 'string') return `${where} ${status}: an NDJSON body must be recorded as text`;
        const lines = rec.body.split('\n');
        if (lines.pop() !== '') return `${where} ${status}: the NDJSON body does not end with a newline`;
        if (lines.length === 0) return `${where} ${status}: the NDJSON body has no line`;
        for (let i = 0; i < lines.length; i++) {
          let line;
          try {
            line = JSON.parse(lines[i]);
          } catch (e) {
            return `${where} ${status}: NDJSON line ${i + 1} is not JSON: ${e.message}`;
          }
          if (!validate(line)) {
            const errs = validate.errors.slice(0, 5).map((e) => `${e.instancePath} ${e.message}`).join('; ');
            return `NDJSON line ${i + 1} does not match the schema for ${where} ${status} ${mediaKey}: ${errs}`;
          }
        }
        return null;
      }
      if (!validate(rec.body)) {
        const errs = validate.errors
          .map((e) => {
            const extra = e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties'
              ? ` (${e.params.additionalProperty ?? e.params.unevaluatedProperty})`
              : e.keyword === 'enum' ? ` (${e.params.allowedValues.join(', ')})`
              : e.keyword === 'const' ? ` ${JSON.stringify(e.params.allowedValue)}` : '';
            return `body${e.instancePath} ${e.message}${extra}`;
          })
          .join('; ');
        const hint = isJsonMedia(mediaBase(mediaKey)) && typeof rec.body === 'string' ? ' [the body was not parsed as JSON]' : '';
        return `body does not match the schema for ${where} ${status} ${mediaKey}: ${errs}${hint}`;
      }
    }
    if (mediaBase(mediaKey) === 'application/problem+json' && rec.body && typeof rec.body === 'object' && rec.body.status !== status) {
      return `problem document says status ${JSON.stringify(rec.body.status)} but the response was ${status}`;
    }
    return null;
  }

  function operations() {
    const ops = [];
    for (const [p, item] of Object.entries(doc.paths ?? {})) {
      for (const m of METHODS) if (item?.[m]) ops.push(`${m} ${p}`);
    }
    return ops;
  }

  return { check, exercised, operations };
}

// ---------------------------------------------------------------------------------------------
// Running

function readRecords(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push({ line: i + 1, rec: JSON.parse(line), raw: line });
    } catch (e) {
      out.push({ line: i + 1, rec: undefined, raw: line, parseError: e.message });
    }
  });
  return out;
}

function printable(raw) {
  return raw.length > MAX_PRINTED_RECORD ? raw.slice(0, MAX_PRINTED_RECORD) + ` … (${raw.length} chars)` : raw;
}

function loadSpec(file) {
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

export function exitCodeFor(passed, failed) {
  return failed === 0 && passed > 0 ? 0 : 1;
}

function runContract(specFile, recordsFile) {
  const doc = loadSpec(specFile);
  const specProblems = checkSpec(doc);
  for (const p of specProblems) console.log(`SPEC ${p}`);
  const checker = makeChecker(doc);
  let passed = 0;
  let failed = 0;
  for (const { line, rec, raw, parseError } of readRecords(recordsFile)) {
    let why;
    try {
      why = parseError ? `line is not JSON: ${parseError}` : checker.check(rec);
    } catch (e) {
      why = `cannot check: ${e.message}`;
    }
    if (why === null) {
      passed++;
    } else {
      failed++;
      console.log(`FAIL ${path.basename(recordsFile)}:${line}: ${why}`);
      console.log(`     record: ${printable(raw)}`);
    }
  }
  const ops = checker.operations();
  const missing = ops.filter((o) => !checker.exercised.has(o));
  console.log(`coverage: ${ops.length - missing.length} of ${ops.length} operations exercised`);
  for (const o of missing) {
    const [m, p] = o.split(' ');
    console.log(`  not exercised: ${m.toUpperCase()} ${p}`);
  }
  if (specProblems.length > 0) console.log(`spec: ${specProblems.length} problems in ${specFile}`);
  console.log(`contract: ${passed} passed, ${failed} failed`);
  return specProblems.length > 0 ? 1 : exitCodeFor(passed, failed);
}

function runSelftest(specFile, selftestFile) {
  const doc = loadSpec(specFile);
  let ok = 0;
  let bad = 0;
  const expectBad = (msg) => {
    bad++;
    console.log(`UNEXPECTED ${msg}`);
  };

  const specProblems = checkSpec(doc);
  if (specProblems.length === 0) ok++;
  else for (const p of specProblems) expectBad(`spec problem: ${p}`);

  // The spec check must notice an unused component and a dangling $ref.
  const broken = structuredClone(doc);
  broken.components.schemas.SelftestUnused = { type: 'string' };
  broken.paths['/healthz'].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
  const found = checkSpec(broken);
  if (found.some((p) => p.includes('SelftestUnused is never referenced')) && found.some((p) => p.includes('Nope does not resolve'))) ok++;
  else expectBad(`spec check missed an unused component or a dangling $ref: ${JSON.stringify(found)}`);

  // Zero records is a failure; any failure is a failure.
  if (exitCodeFor(0, 0) === 1 && exitCodeFor(3, 1) === 1 && exitCodeFor(3, 0) === 0) ok++;
  else expectBad('exit status rule is wrong');

  const checker = makeChecker(doc);
  let wantPass = 0;
  let wantFail = 0;
  for (const { line, rec, raw, parseError } of readRecords(selftestFile)) {
    if (parseError) {
      expectBad(`line ${line}: not JSON: ${parseError}`);
      continue;
    }
    const { expect, why: wantWhy, ...record } = rec;
    if (expect !== 'pass' && expect !== 'fail') {
      expectBad(`line ${line}: "expect" must be "pass" or "fail"`);
      continue;
    }
    if (expect === 'pass') wantPass++;
    else wantFail++;
    let why;
    try {
      why = checker.check(record);
    } catch (e) {
      why = `cannot check: ${e.message}`;
    }
    const label = `${record.method} ${record.path} ${record.status}`;
    if (expect === 'pass' && why === null) {
      ok++;
      console.log(`ok   line ${line}: ${label} passes`);
    } else if (expect === 'fail' && why !== null && (!wantWhy || why.includes(wantWhy))) {
      ok++;
      console.log(`ok   line ${line}: ${label} fails: ${why}`);
    } else if (expect === 'pass') {
      expectBad(`line ${line}: ${label} should pass but fails: ${why}\n     record: ${printable(raw)}`);
    } else if (why === null) {
      expectBad(`line ${line}: ${label} should fail but passes\n     record: ${printable(raw)}`);
    } else {
      expectBad(`line ${line}: ${label} fails for another reason than "${wantWhy}": ${why}`);
    }
  }
  if (wantPass === 0 || wantFail === 0) expectBad('the self-test needs at least one passing and one failing record');
  console.log(`selftest: ${ok} as expected, ${bad} unexpected`);
  return bad === 0 ? 0 : 1;
}

function main(argv) {
  if (argv[0] === '--selftest') {
    const spec = argv[1] ?? path.join(ROOT, 'api', 'openapi.yaml');
    const file = argv[2] ?? path.join(HERE, 'selftest.jsonl');
    return runSelftest(spec, file);
  }
  if (argv.length !== 2 || argv[0].startsWith('-')) {
    console.error('usage: node tests/contract/validate.mjs <openapi.yaml> <records.jsonl>\n' +
                  '       node tests/contract/validate.mjs --selftest [<openapi.yaml>] [<selftest.jsonl>]');
    return 2;
  }
  if (!fs.existsSync(argv[1])) {
    console.log(`FAIL records file ${argv[1]} does not exist (did the integration tests run?)`);
    console.log('contract: 0 passed, 0 failed');
    return 1;
  }
  return runContract(argv[0], argv[1]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`contract: cannot run: ${e.stack ?? e}`);
    console.log('contract: 0 passed, 1 failed');
    process.exitCode = 1;
  }
}
