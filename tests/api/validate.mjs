// Validates recorded /api/ answers against the OpenAPI document.
//
// Usage: node tests/api/validate.mjs OPENAPI.json RECORD.jsonl [--quiet]
//
// RECORD.jsonl has one JSON object a line, as tests/http/harness.py writes
// them when GZ_API_RECORD names a file:
//   {"method": "GET", "target": "/api/v1/articles?limit=2", "status": 200,
//    "content_type": "application/json", "headers": {"allow": "..."},
//    "body": "...", "test": "test_api_read.Reading.test_list"}
//
// For each answer:
//  1. The path (target without the query, under the document's server URL
//     "/api/v1") is matched to a path template; a literal segment beats a
//     {parameter}. No template: the document's x-gazette-unknown-path
//     responses apply (404; OPTIONS under the server URL also gets its
//     preflight answer).
//  2. The method picks the operation (HEAD: the head operation, else the
//     GET one, with no body expected). A method the path does not answer:
//     x-gazette-unknown-method responses apply (405).
//  3. The status must be one the operation lists (or an "NXX" range, or
//     "default"), or one of x-gazette-any-request. Anything else fails as
//     undocumented.
//  4. A response with content: the Content-Type (without parameters) must
//     be one of its media types and the JSON body must validate (ajv, JSON
//     Schema 2020-12, with formats) against the schema. A response without
//     content must have an empty body. Headers the response marks required
//     must be there and match their schema.
//  5. When the request's query has `fields`, resources may lack any key:
//     the `required` lists of the schemas that are items of an envelope
//     (and what they extend through allOf) are dropped for that answer.
//     Unknown keys still fail.
//
// Counting: one check per distinct (method, path template, status); it
// passes when every answer recorded for it validates. The last line is
// "N passed, N failed"; the exit status is 1 when anything failed, 2 on a
// usage or set-up error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

// ajv comes from the repository's node_modules (package-lock.json).
const require = createRequire(import.meta.url);

function die(msg) {
  console.log('validate.mjs: ' + msg);
  console.log('0 passed, 1 failed');
  process.exit(2);
}

let Ajv2020, addFormats;
try {
  Ajv2020 = require('ajv/dist/2020.js').default;
  addFormats = require('ajv-formats').default;
} catch (e) {
  die('cannot load ajv / ajv-formats (npm ci first): ' + e.message);
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quiet = process.argv.includes('--quiet');
if (args.length !== 2)
  die('usage: node tests/api/validate.mjs OPENAPI.json RECORD.jsonl');

let doc;
try {
  doc = JSON.parse(readFileSync(args[0], 'utf8'));
} catch (e) {
  die('cannot read ' + args[0] + ': ' + e.message);
}
let records = [];
try {
  const text = readFileSync(args[1], 'utf8');
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch (e) {
      die(args[1] + ':' + n + ': not JSON: ' + e.message);
    }
  }
} catch (e) {
  die('cannot read ' + args[1] + ': ' + e.message);
}

// ---- the document -----------------------------------------------------

const DOC_ID = 'https://gazette.invalid/openapi.json';
const TRIMMED_ID = 'https://gazette.invalid/openapi-fields.json';

function escapePointer(s) {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function atPointer(root, pointer) {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(part in node))
      return undefined;
    node = node[part];
  }
  return node;
}

// Follows local $refs; returns {node, pointer} of the final object.
function deref(node, pointer) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (!ref.startsWith('#/') || seen.has(ref))
      throw new Error('cannot follow $ref ' + ref + ' at ' + pointer);
    seen.add(ref);
    pointer = ref.slice(1);
    node = atPointer(doc, pointer);
    if (node === undefined) throw new Error('dangling $ref ' + ref);
  }
  return { node, pointer };
}

// The copy used for answers to requests with `fields`: resources (the
// items of envelope arrays, and what they extend) lose `required`.
function trimmedCopy(d) {
  const copy = structuredClone(d);
  const schemas = copy.components?.schemas || {};
  const refName = (s) =>
    s && typeof s.$ref === 'string' && s.$ref.startsWith('#/components/schemas/')
      ? s.$ref.slice('#/components/schemas/'.length) : null;
  const resources = new Set();
  const add = (name) => {
    if (!name || resources.has(name) || !schemas[name]) return;
    resources.add(name);
    for (const part of schemas[name].allOf || []) add(refName(part));
  };
  for (const s of Object.values(schemas))
    for (const prop of Object.values(s.properties || {}))
      if (prop && prop.type === 'array') add(refName(prop.items));
  for (const name of resources) delete schemas[name].required;
  return copy;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
try {
  ajv.addSchema(doc, DOC_ID);
  ajv.addSchema(trimmedCopy(doc), TRIMMED_ID);
} catch (e) {
  die('the document does not load as JSON Schema: ' + e.message);
}
const compiled = new Map();
function validatorFor(pointer, trimmed) {
  const key = (trimmed ? TRIMMED_ID : DOC_ID) + '#' + pointer;
  if (!compiled.has(key)) {
    let v;
    try {
      v = ajv.getSchema(key);
    } catch (e) {
      throw new Error('cannot compile the schema at ' + pointer + ': ' + e.message);
    }
    if (!v) throw new Error('no schema at ' + pointer);
    compiled.set(key, v);
  }
  return compiled.get(key);
}

const serverUrl = ((doc.servers || [])[0]?.url || '').replace(/\/$/, '');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const templates = Object.keys(doc.paths || {}).map((t) => {
  const segs = t.split('/').slice(1);
  return {
    template: t,
    segs,
    literals: segs.filter((s) => !/^\{.*\}$/.test(s)).length,
  };
});

function matchPath(p) {
  const segs = p.split('/').slice(1);
  let best = null;
  for (const t of templates) {
    if (t.segs.length !== segs.length) continue;
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      const ts = t.segs[i];
      if (/^\{.*\}$/.test(ts)) ok = segs[i].length > 0;
      else {
        let s = segs[i];
        try {
          s = decodeURIComponent(s);
        } catch {
          /* keep it raw */
        }
        ok = s === ts;
      }
    }
    if (ok && (!best || t.literals > best.literals)) best = t;
  }
  return best;
}

function extResponses(name) {
  const ext = doc[name];
  return ext ? { responses: ext.responses || {}, pointer: '/' + escapePointer(name) + '/responses', ext } : null;
}

// ---- one answer ---------------------------------------------------------

function lookupStatus(responses, pointer, status) {
  const s = String(status);
  for (const key of [s, s[0] + 'XX', s[0] + 'xx', 'default'])
    if (responses && key in responses)
      return deref(responses[key], pointer + '/' + escapePointer(key));
  return null;
}

function headerValue(rec, name) {
  const h = rec.headers || {};
  const k = Object.keys(h).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : h[k];
}

function checkHeaders(rec, resp, problems) {
  if (!rec.headers) return; // not recorded (raw answers may lack them)
  for (const [name, h0] of Object.entries(resp.node.headers || {})) {
    const { node: h, pointer } = deref(h0, resp.pointer + '/headers/' + escapePointer(name));
    const v = headerValue(rec, name);
    if (v === undefined) {
      if (h.required) problems.push('header ' + name + ' is missing');
      continue;
    }
    if (!h.schema) continue;
    let value = v;
    const type = deref(h.schema, pointer + '/schema').node.type;
    if (type === 'integer' || type === 'number') {
      value = Number(v);
      if (!/^-?\d+(\.\d+)?$/.test(String(v).trim())) value = v;
    }
    const validate = validatorFor(pointer + '/schema', false);
    if (!validate(value))
      problems.push('header ' + name + ': ' + JSON.stringify(v) + ' ' + ajv.errorsText(validate.errors));
  }
}

function mediaType(ct) {
  return (ct || '').split(';')[0].trim().toLowerCase();
}

function check(rec) {
  const problems = [];
  const method = String(rec.method || '').toUpperCase();
  const target = String(rec.target || '');
  const qi = target.indexOf('?');
  const rawPath = qi < 0 ? target : target.slice(0, qi);
  const query = new URLSearchParams(qi < 0 ? '' : target.slice(qi + 1));
  const status = Number(rec.status);

  let template = '(unknown path)';
  let responses = null;
  let respPointer = null;
  let allowed = [];
  const underServer = rawPath === serverUrl || rawPath.startsWith(serverUrl + '/');
  const t = underServer ? matchPath(rawPath.slice(serverUrl.length) || '/') : null;
  let bodyless = method === 'HEAD';

  if (t) {
    template = t.template;
    const item = doc.paths[t.template];
    let m = method.toLowerCase();
    if (m === 'head' && !item.head) m = 'get';
    const op = METHODS.includes(m) ? item[m] : undefined;
    if (op) {
      responses = op.responses;
      respPointer = '/paths/' + escapePointer(t.template) + '/' + m + '/responses';
      allowed.push([responses, respPointer]);
    } else {
      template += ' (unknown method)';
      const u = extResponses('x-gazette-unknown-method');
      if (u) allowed.push([u.responses, u.pointer]);
    }
  } else {
    const u = extResponses('x-gazette-unknown-path');
    if (u) {
      allowed.push([u.responses, u.pointer]);
      if (method === 'OPTIONS' && underServer && u.ext.options)
        allowed.push([u.ext.options, '/x-gazette-unknown-path/options']);
    }
  }
  const any = extResponses('x-gazette-any-request');
  if (any) allowed.push([any.responses, any.pointer]);

  const key = method + ' ' + template + ' ' + (Number.isFinite(status) ? status : '?');
  let resp = null;
  for (const [r, p] of allowed) {
    resp = lookupStatus(r, p, status);
    if (resp) break;
  }
  if (!resp) {
    problems.push('status ' + rec.status + ' is not documented for ' + method + ' ' + template);
    return { key, problems };
  }

  checkHeaders(rec, resp, problems);
  const content = resp.node.content;
  const body = rec.body ?? '';
  if (!content || Object.keys(content).length === 0) {
    if (body !== '') problems.push('a body where the document has none: ' + excerpt(body));
    return { key, problems };
  }
  if (bodyless) {
    if (body !== '') problems.push('HEAD answered with a body');
    if (rec.content_type && !(mediaType(rec.content_type) in content))
      problems.push('Content-Type ' + JSON.stringify(rec.content_type) + ' is not one of ' + Object.keys(content).join(', '));
    return { key, problems };
  }
  const mt = mediaType(rec.content_type);
  if (!(mt in content)) {
    problems.push('Content-Type ' + JSON.stringify(rec.content_type || null) + ' is not one of ' + Object.keys(content).join(', ') + '; body ' + excerpt(body));
    return { key, problems };
  }
  const media = content[mt];
  if (!media.schema) return { key, problems };
  let value;
  try {
    value = JSON.parse(body);
  } catch (e) {
    problems.push('the body is not JSON (' + e.message + '): ' + excerpt(body));
    return { key, problems };
  }
  const schemaPointer = resp.pointer + '/content/' + escapePointer(mt) + '/schema';
  const validate = validatorFor(schemaPointer, query.has('fields'));
  if (!validate(value)) {
    for (const err of validate.errors.slice(0, 12)) {
      let detail = '';
      if (err.keyword === 'additionalProperties') detail = ' (' + err.params.additionalProperty + ')';
      else if (err.keyword === 'enum' || err.keyword === 'const') detail = ' (' + JSON.stringify(err.params.allowedValues ?? err.params.allowedValue) + ')';
      const at = err.instancePath || '(the body)';
      let got = atPointer(value, err.instancePath);
      got = got === undefined || err.keyword === 'required' || err.keyword === 'additionalProperties'
        ? '' : ', got ' + excerpt(JSON.stringify(got), 120);
      problems.push(at + ' ' + err.message + detail + got + '  [' + err.schemaPath + ']');
    }
    if (validate.errors.length > 12) problems.push('... and ' + (validate.errors.length - 12) + ' more');
  }
  return { key, problems };
}

function excerpt(s, n = 300) {
  s = String(s);
  return s.length > n ? JSON.stringify(s.slice(0, n)) + '...' : JSON.stringify(s);
}

// ---- all answers ----------------------------------------------------------

const checks = new Map(); // key -> {answers, failures: [{rec, problems}]}
for (const rec of records) {
  let r;
  try {
    r = check(rec);
  } catch (e) {
    r = { key: String(rec.method) + ' ' + String(rec.target) + ' ' + rec.status, problems: ['validator error: ' + e.message] };
  }
  if (!checks.has(r.key)) checks.set(r.key, { answers: 0, failures: [] });
  const c = checks.get(r.key);
  c.answers++;
  if (r.problems.length) c.failures.push({ rec, problems: r.problems });
}

let passed = 0;
let failed = 0;
const keys = [...checks.keys()].sort();
for (const key of keys) {
  const c = checks.get(key);
  if (!c.failures.length) {
    passed++;
    if (!quiet) console.log('ok    ' + key + '  (' + c.answers + ' answer' + (c.answers === 1 ? '' : 's') + ')');
    continue;
  }
  failed++;
  console.log('FAIL  ' + key + '  (' + c.failures.length + ' of ' + c.answers + ' answers)');
  for (const f of c.failures.slice(0, 3)) {
    console.log('      ' + f.rec.method + ' ' + f.rec.target + ' -> ' + f.rec.status + (f.rec.test ? '  in ' + f.rec.test : ''));
    for (const p of f.problems) console.log('        - ' + p);
  }
  if (c.failures.length > 3) console.log('      ... and ' + (c.failures.length - 3) + ' more answers like these');
}

// What the answers never exercised (information, not a failure).
if (!quiet && records.length) {
  const seen = new Set(keys.map((k) => k.split(' ').slice(0, 2).join(' ')));
  const missing = [];
  for (const [tpl, item] of Object.entries(doc.paths || {}))
    for (const m of METHODS)
      if (item[m] && m !== 'options' && !seen.has(m.toUpperCase() + ' ' + tpl)) missing.push(m.toUpperCase() + ' ' + tpl);
  if (missing.length) console.log('not exercised: ' + missing.join(', '));
}

console.log('api schema: ' + records.length + ' answers in ' + keys.length + ' (method, path, status) checks');
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
