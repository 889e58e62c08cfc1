// The RBAC matrix, generated from the gateway's own OpenAPI document (itself
// generated from the route table): every operation × every role × every
// namespace relation (own, child, parent, sibling, other domain) is called
// over HTTP and the outcome compared with what the permission's minimum role
// says. Denials must be 403 when the caller can see the namespace and 404
// when it cannot. An operation without a recipe below fails the test, so a
// new route cannot skip the matrix.
//
// Environment: GW_URL, FIXTURES (JSON written by gateway_rbac_matrix.sh).
import fs from 'node:fs';

const url = process.env.GW_URL;
const fx = JSON.parse(fs.readFileSync(process.env.FIXTURES, 'utf8'));
let n = 0, failed = 0;
const ok = (cond, desc, diag) => {
  n++;
  if (cond) { console.log(`ok ${n} - ${desc}`); return; }
  failed++;
  console.log(`not ok ${n} - ${desc}`);
  if (diag) console.log(`# ${String(diag).replace(/\n/g, '\n# ')}`);
};

const call = async (method, path, token, body, type = 'application/json') => {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = type;
  const res = await fetch(url + path, { method, headers, body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* SSE or empty */ }
  return { status: res.status, json, text };
};
const admin = fx.tokens['platform-admin'];
const must = async (method, path, body, type) => {
  const r = await call(method, path, admin, body, type);
  if (r.status >= 300) throw new Error(`fixture ${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
};

const rels = fx.relations; // {own: 'sales.team', child: ..., parent, sibling, other}
const flowYaml = (ns, id = 'f') =>
  `id: ${id}\nnamespace: ${ns}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: m\n`;
let counter = 0;
// The file gateway_rbac_matrix.sh stored in each namespace's execution.
const fileUri = (ns) =>
  encodeURIComponent(`weft:///${ns.replace(/\./g, '/')}/f/executions/${fx.executions[ns]}/tasks/t/r/out.txt`);
const uniq = (p) => `${p}${++counter}`;

// One recipe per operationId: the request for a target namespace, and what
// to restore after a successful call that consumed a fixture.
const recipes = {
  get_healthz: { public: true, req: () => ['/healthz'] },
  get_readyz: { public: true, req: () => ['/readyz'] },
  get_api_v1_openapi_json: { public: true, req: () => ['/api/v1/openapi.json'] },
  post_api_v1_executions_webhook_namespace_flowId_key: {
    public: true, req: (ns) => [`/api/v1/executions/webhook/${ns}/f/not-the-key`, '{}'],
  },
  get_api_v1_me: { req: () => ['/api/v1/me'] },
  get_api_v1_auth_can_i: { req: (ns) => [`/api/v1/auth/can-i?action=flow.read&namespace=${ns}`] },
  post_api_v1_bindings: {
    req: (ns) => ['/api/v1/bindings', JSON.stringify({ subject: `user:${uniq('u')}`, role: 'viewer', namespace: ns })],
  },
  get_api_v1_bindings: { req: (ns) => [`/api/v1/bindings?namespace=${ns}`] },
  delete_api_v1_bindings_id: {
    req: (ns) => [`/api/v1/bindings/${fx.bindings[ns]}`],
    restore: async (ns) => {
      const b = await must('POST', '/api/v1/bindings', JSON.stringify({ subject: `user:${uniq('keep')}`, role: 'viewer', namespace: ns }));
      fx.bindings[ns] = b.id;
    },
  },
  post_api_v1_namespaces_namespace_serviceaccounts: {
    req: (ns) => [`/api/v1/namespaces/${ns}/serviceaccounts`, JSON.stringify({ name: uniq('m') })],
  },
  get_api_v1_namespaces_namespace_serviceaccounts: { req: (ns) => [`/api/v1/namespaces/${ns}/serviceaccounts`] },
  post_api_v1_namespaces_namespace_serviceaccounts_name_tokens: {
    req: (ns) => [`/api/v1/namespaces/${ns}/serviceaccounts/svc/tokens`, '{}'],
  },
  get_api_v1_namespaces_namespace_serviceaccounts_name_tokens: {
    req: (ns) => [`/api/v1/namespaces/${ns}/serviceaccounts/svc/tokens`],
  },
  delete_api_v1_namespaces_namespace_serviceaccounts_name_tokens_tokenId: {
    req: (ns) => [`/api/v1/namespaces/${ns}/serviceaccounts/svc/tokens/${fx.tokenIds[ns]}`],
    restore: async (ns) => {
      const t = await must('POST', `/api/v1/namespaces/${ns}/serviceaccounts/svc/tokens`, '{}');
      fx.tokenIds[ns] = t.id;
    },
  },
  delete_api_v1_namespaces_namespace_serviceaccounts_name: {
    req: (ns) => [`/api/v1/namespaces/${ns}/serviceaccounts/gone`],
    restore: async (ns) => { await goneAccount(ns); },
  },
  post_api_v1_domains: {
    req: () => ['/api/v1/domains', JSON.stringify({ name: uniq('d'), namespaces: [uniq('p')] })],
  },
  get_api_v1_domains: { req: () => ['/api/v1/domains'] },
  post_api_v1_domains_domain_namespaces: {
    req: () => ['/api/v1/domains/sales/namespaces', JSON.stringify({ prefix: uniq('extra') })],
  },
  post_api_v1_flows_validate: { req: (ns) => ['/api/v1/flows/validate', flowYaml(ns), 'application/x-yaml'] },
  post_api_v1_flows: { req: (ns) => ['/api/v1/flows', flowYaml(ns, uniq('g')), 'application/x-yaml'] },
  get_api_v1_flows: { req: (ns) => [`/api/v1/flows?namespace=${ns}`] },
  get_api_v1_flows_namespace_id_revisions: { req: (ns) => [`/api/v1/flows/${ns}/f/revisions`] },
  get_api_v1_flows_namespace_id_triggers: { req: (ns) => [`/api/v1/flows/${ns}/f/triggers`] },
  get_api_v1_flows_namespace_id: { req: (ns) => [`/api/v1/flows/${ns}/f`] },
  delete_api_v1_flows_namespace_id: {
    req: (ns) => [`/api/v1/flows/${ns}/f`],
    restore: async (ns) => { await must('POST', '/api/v1/flows', flowYaml(ns), 'application/x-yaml'); },
  },
  post_api_v1_executions_id_kill: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/kill`] },
  post_api_v1_executions_id_restart: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/restart`] },
  post_api_v1_executions_id_resume: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/resume`] },
  get_api_v1_executions_id_files: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/files`] },
  get_api_v1_executions_id_file: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/file?path=${fileUri(ns)}`] },
  get_api_v1_executions_id_file_metas: {
    req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/file/metas?path=${fileUri(ns)}`],
  },
  get_api_v1_executions_id_logs: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}/logs`] },
  post_api_v1_executions_namespace_flowId: { req: (ns) => [`/api/v1/executions/${ns}/f`, '{}'] },
  get_api_v1_executions_id: { req: (ns) => [`/api/v1/executions/${fx.executions[ns]}`] },
  get_api_v1_executions: { req: (ns) => [`/api/v1/executions?namespace=${ns}`] },
  put_api_v1_namespaces_namespace_secrets_key: {
    req: (ns) => [`/api/v1/namespaces/${ns}/secrets/${uniq('S')}`, JSON.stringify({ value: 'matrix-value' })],
  },
  put_api_v1_namespaces_namespace_policy: {
    req: (ns) => [`/api/v1/namespaces/${ns}/policy`, JSON.stringify({ maxPids: 100 })],
  },
  get_api_v1_namespaces_namespace_policy: { req: (ns) => [`/api/v1/namespaces/${ns}/policy`] },
  get_api_v1_audit: { req: (ns) => [`/api/v1/audit?namespace=${ns}&size=5`] },
  get_api_v1_namespaces_namespace_secrets: { req: (ns) => [`/api/v1/namespaces/${ns}/secrets`] },
  post_api_v1_namespaces_namespace_grants: {
    req: (ns) => [`/api/v1/namespaces/${ns}/grants`, grantBody(uniq('g'))],
  },
  get_api_v1_namespaces_namespace_grants: { req: (ns) => [`/api/v1/namespaces/${ns}/grants`] },
  delete_api_v1_namespaces_namespace_grants_id: {
    req: (ns) => [`/api/v1/namespaces/${ns}/grants/${fx.grants[ns]}`],
    restore: async (ns) => { await keepGrant(ns); },
  },
  delete_api_v1_namespaces_namespace_secrets_key: {
    req: (ns) => [`/api/v1/namespaces/${ns}/secrets/KEEP`],
    restore: async (ns) => { await keepSecret(ns); },
  },
  get_api_v1_namespaces_namespace_kv: { req: (ns) => [`/api/v1/namespaces/${ns}/kv`] },
  get_api_v1_namespaces_namespace_kv_key: { req: (ns) => [`/api/v1/namespaces/${ns}/kv/KEEP`] },
  put_api_v1_namespaces_namespace_kv_key: {
    req: (ns) => [`/api/v1/namespaces/${ns}/kv/${uniq('k')}`, '"matrix-value"'],
  },
  delete_api_v1_namespaces_namespace_kv_key: {
    req: (ns) => [`/api/v1/namespaces/${ns}/kv/KEEP`],
    restore: async (ns) => { await keepKv(ns); },
  },
  get_api_v1_namespaces_namespace_files_directory: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files/directory?path=/`],
  },
  post_api_v1_namespaces_namespace_files_directory: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files/directory?path=/${uniq('d')}`],
  },
  get_api_v1_namespaces_namespace_files_stats: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files/stats?path=/keep.txt`],
  },
  get_api_v1_namespaces_namespace_files: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files?path=/keep.txt`],
  },
  post_api_v1_namespaces_namespace_files: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files?path=/${uniq('u')}.txt`, 'matrix', 'application/octet-stream'],
  },
  put_api_v1_namespaces_namespace_files: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files?from=/keep.txt&to=/${uniq('m')}.txt`],
    restore: async (ns) => { await keepFile(ns); },
  },
  delete_api_v1_namespaces_namespace_files: {
    req: (ns) => [`/api/v1/namespaces/${ns}/files?path=/keep.txt`],
    restore: async (ns) => { await keepFile(ns); },
  },
};
// A namespace file to read, move and delete in every namespace.
const keepFile = (ns) => must('POST', `/api/v1/namespaces/${ns}/files?path=/keep.txt`, 'fixture', 'application/octet-stream');
for (const ns of Object.values(rels)) await keepFile(ns);
// A KV key to read and delete in every namespace.
const keepKv = (ns) => must('PUT', `/api/v1/namespaces/${ns}/kv/KEEP`, '"fixture-value"');
for (const ns of Object.values(rels)) await keepKv(ns);
// A secret to delete in every namespace (the domains' keys are registered
// by gateway_rbac_matrix.sh).
const keepSecret = (ns) => must('PUT', `/api/v1/namespaces/${ns}/secrets/KEEP`, JSON.stringify({ value: 'fixture-value' }));
for (const ns of Object.values(rels)) await keepSecret(ns);
// A service account to delete in every namespace.
const goneAccount = (ns) => must('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, JSON.stringify({ name: 'gone' }));
for (const ns of Object.values(rels)) await goneAccount(ns);
// A grant to revoke in every namespace.
const grantBody = (flow) => JSON.stringify({ flows: [flow], to: 'logistics.team', events: ['SUCCESS'] });
fx.grants = {};
const keepGrant = async (ns) => { fx.grants[ns] = (await must('POST', `/api/v1/namespaces/${ns}/grants`, grantBody('f'))).id; };
for (const ns of Object.values(rels)) await keepGrant(ns);

const rank = { viewer: 1, launcher: 2, developer: 3, admin: 4 };
const sees = (role, rel) => role === 'platform-admin' || role === 'auditor' ||
  (rank[role] !== undefined && (rel === 'own' || rel === 'child'));

// Expected outcome: 'allow', 'forbid' (403) or 'hide' (404).
const expect = (op, role, rel) => {
  const perm = op['x-weft-permission'];
  if (perm === 'authenticated') return 'allow';
  const min = op['x-weft-min-role'];
  let allowed;
  if (role === 'platform-admin') allowed = true;
  else if (role === 'auditor') allowed = op['x-weft-auditor'] === true;
  else if (role === 'none') allowed = false;
  else allowed = min !== 'platform-admin' && rank[role] >= rank[min] && (rel === 'own' || rel === 'child');
  if (allowed) return 'allow';
  // Platform-wide permissions have no namespace to hide.
  if (min === 'platform-admin') return 'forbid';
  return sees(role, rel) ? 'forbid' : 'hide';
};

const doc = (await call('GET', '/api/v1/openapi.json')).json;
const ops = [];
for (const [path, item] of Object.entries(doc.paths))
  for (const [method, op] of Object.entries(item)) ops.push({ path, method: method.toUpperCase(), op });
ok(ops.length >= 30, `the document lists ${ops.length} operations`);

const roles = ['none', 'viewer', 'launcher', 'developer', 'admin', 'auditor', 'platform-admin'];
const counts = { allow: 0, forbid: 0, hide: 0 };
for (const { path, method, op } of ops) {
  const recipe = recipes[op.operationId];
  ok(recipe !== undefined, `${method} ${path} has a matrix recipe (${op.operationId})`);
  if (!recipe) continue;
  let reached = false, mismatches = [];
  for (const role of roles) {
    for (const rel of Object.keys(rels)) {
      const ns = rels[rel];
      const [p, body, type] = recipe.req(ns);
      const r = await call(method, p, fx.tokens[role], body, type);
      const routerMiss = r.status === 405 || (r.status === 404 && r.json && r.json.detail === 'no route for this path');
      if (!routerMiss) reached = true;
      if (recipe.public) {
        if (r.status === 401 || r.status === 403) mismatches.push(`${role}/${rel}: ${r.status}`);
        continue;
      }
      const want = expect(op, role, rel);
      counts[want]++;
      let good;
      if (want === 'allow') good = r.status < 300 || r.status === 409;
      else if (want === 'forbid') good = r.status === 403 && r.json && typeof r.json.reason === 'string' && r.json.reason.startsWith('denied:');
      else good = r.status === 404 && r.json && r.json.detail === 'no such resource';
      if (!good) mismatches.push(`${role} on ${rel} (${ns}): want ${want}, got ${r.status} ${r.text.slice(0, 160)}`);
      if (want === 'allow' && r.status < 300 && recipe.restore) await recipe.restore(ns);
    }
  }
  ok(reached, `${method} ${path} exists on the server`);
  ok(mismatches.length === 0, `${method} ${path}: ${roles.length} roles x ${Object.keys(rels).length} relations as the table says`,
    mismatches.slice(0, 6).join('\n'));
}
console.log(`# matrix: ${counts.allow} allowed, ${counts.forbid} forbidden (403), ${counts.hide} hidden (404)`);
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
