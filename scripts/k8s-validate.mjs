// npm run k8s:validate [kustomization folder…]: renders every kustomization under k8s/ (the default, the
// base and each example; components are rendered inside the examples that use them) with `kubectl
// kustomize`, and validates each object offline against the Kubernetes schemas (KEDA's too), strictly:
//   1. the JSON schemas of `kubernetes-models` / `@kubernetes-models/keda` (types, required fields,
//      enums, formats), through each model's validate();
//   2. no unknown field: those schemas let any extra property through (the Kubernetes OpenAPI has no
//      additionalProperties: false), so every field is also looked up in the models' type declarations,
//      generated from the same OpenAPI documents, with the TypeScript compiler; an object that the API
//      server would answer "unknown field" to fails here.
// An apiVersion/kind without a model fails too. Prints counts per kustomization; exits 1 on any error.
// With folders as arguments it renders those instead (the tests point it at broken manifests).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K8S = path.join(ROOT, 'k8s');

/** The model of an apiVersion/kind: its module and the name of its interface there. */
function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const safe = (part) => /^[A-Za-z0-9.-]+$/.test(part);
  if (!safe(group || 'core') || !safe(version) || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  const module = group.endsWith('keda.sh')
    ? `@kubernetes-models/keda/${group}/${version}/${kind}`
    : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  return { module, typeName: `I${kind}` };
}

function kustomizationFile(dir) {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** Every folder under k8s/ with a kustomization; components apart (they only render inside another). */
function discover() {
  const found = { kustomizations: [], components: [] };
  const walk = (dir) => {
    const file = kustomizationFile(dir);
    if (file) {
      const doc = loadAll(readFileSync(file, 'utf8'))[0] ?? {};
      (doc.kind === 'Component' ? found.components : found.kustomizations).push(dir);
    }
    for (const entry of readdirSync(dir)) {
      const child = path.join(dir, entry);
      if (statSync(child).isDirectory()) walk(child);
    }
  };
  walk(K8S);
  return found;
}

/** The components a kustomization names, as absolute folders. */
function componentsOf(dir) {
  const doc = loadAll(readFileSync(kustomizationFile(dir), 'utf8'))[0] ?? {};
  return (doc.components ?? []).map((entry) => path.resolve(dir, entry));
}

function render(dir) {
  try {
    const yaml = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { objects: loadAll(yaml).filter((doc) => doc !== null && doc !== undefined) };
  } catch (error) {
    const reason =
      error.code === 'ENOENT' ? 'kubectl is not installed' : (error.stderr || error.message).trim();
    return { error: `kubectl kustomize failed: ${reason}` };
  }
}

/**
 * The type declarations of the models in use, in one TypeScript program: a virtual module that
 * declares one value of each model's interface, so the checker hands out their types.
 */
function typesOf(models) {
  const file = path.join(ROOT, '__k8s_validate_models.mts');
  const source = models
    .map(
      (model, i) =>
        `import type { ${model.typeName} as T${i} } from '${model.module}';\nexport declare const v${i}: T${i};`,
    )
    .join('\n');
  const options = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === file
      ? ts.createSourceFile(name, source, language)
      : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file);
  const types = new Map();
  const problems = new Map();
  for (const diagnostic of ts.getPreEmitDiagnostics(program, sourceFile)) {
    const line = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
    problems.set(Math.floor(line / 2), ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '));
  }
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const declaration = statement.declarationList.declarations[0];
    const index = Number(declaration.name.getText(sourceFile).slice(1));
    if (!problems.has(index)) types.set(models[index].module, checker.getTypeAtLocation(declaration.name));
  }
  return {
    checker,
    types,
    problems: new Map([...problems].map(([i, message]) => [models[i].module, message])),
  };
}

const NOTHING = ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void;
const ANYTHING = ts.TypeFlags.Any | ts.TypeFlags.Unknown;

/** Fields of `value` that `type` does not declare, at any depth (types themselves are the schemas' job). */
function unknownFields(checker, value, type, at, out) {
  if (value === null || typeof value !== 'object') return;
  const members = (type.isUnion() ? type.types : [type]).filter((member) => !(member.flags & NOTHING));
  if (members.length === 0 || members.some((member) => member.flags & ANYTHING)) return;
  if (Array.isArray(value)) {
    const element = members
      .map((member) => checker.getIndexTypeOfType(member, ts.IndexKind.Number))
      .find(Boolean);
    if (element) value.forEach((item, i) => unknownFields(checker, item, element, `${at}[${i}]`, out));
    return;
  }
  const objects = members.filter((member) => member.flags & ts.TypeFlags.Object);
  for (const [key, child] of Object.entries(value)) {
    let childType;
    for (const member of objects) {
      const property = checker.getPropertyOfType(member, key);
      childType = property
        ? checker.getTypeOfSymbol(property)
        : checker.getIndexTypeOfType(member, ts.IndexKind.String);
      if (childType) break;
    }
    const where = at ? `${at}.${key}` : key;
    if (childType) unknownFields(checker, child, childType, where, out);
    else if (objects.length > 0) out.push(`${where}: unknown field`);
  }
}

/**
 * kustomize wraps the base64 of long Secret values over several lines; the API server decodes them as
 * Go's encoding/base64 does, ignoring line breaks, while the schema's "byte" format does not: the check
 * gets the values as the server reads them.
 */
function asDecoded(object) {
  const field = object.apiVersion === 'v1' && { Secret: 'data', ConfigMap: 'binaryData' }[object.kind];
  const values = field && object[field];
  if (!values || typeof values !== 'object') return object;
  const unwrapped = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.replace(/[\r\n]/g, '') : value,
    ]),
  );
  return { ...object, [field]: unwrapped };
}

/** Validates rendered objects; returns the errors and a count per kind. */
export async function validateObjects(objects) {
  const errors = [];
  const counts = new Map();
  const models = new Map();
  const classes = new Map();
  for (const object of objects) {
    const model =
      typeof object?.apiVersion === 'string' && typeof object?.kind === 'string'
        ? modelOf(object.apiVersion, object.kind)
        : null;
    if (!model) continue;
    if (!classes.has(model.module)) {
      classes.set(
        model.module,
        await import(model.module).then(
          (m) => m[object.kind],
          () => null,
        ),
      );
      if (classes.get(model.module)) models.set(model.module, model);
    }
  }
  const { checker, types, problems } = typesOf([...models.values()]);
  for (const object of objects) {
    const name = `${object?.kind ?? '?'}/${object?.metadata?.name ?? '?'}`;
    const model =
      typeof object?.apiVersion === 'string' && typeof object?.kind === 'string'
        ? modelOf(object.apiVersion, object.kind)
        : null;
    const Model = model && classes.get(model.module);
    if (!Model) {
      errors.push(`${name}: no schema for apiVersion ${object?.apiVersion} kind ${object?.kind}`);
      continue;
    }
    counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
    try {
      new Model(asDecoded(object)).validate();
    } catch (error) {
      errors.push(`${name}: ${error.message}`);
    }
    const type = types.get(model.module);
    if (!type) {
      errors.push(
        `${name}: the type declarations of ${model.module} did not load: ${problems.get(model.module) ?? 'unknown reason'}`,
      );
      continue;
    }
    const unknown = [];
    unknownFields(checker, object, type, '', unknown);
    for (const message of unknown) errors.push(`${name}: ${message}`);
  }
  return { errors, counts };
}

async function main(args) {
  let dirs;
  const problems = [];
  if (args.length > 0) {
    dirs = args.map((arg) => path.resolve(arg));
  } else {
    const found = discover();
    dirs = found.kustomizations;
    // A component no kustomization uses would never be rendered, so never validated.
    const used = new Set(dirs.flatMap(componentsOf));
    for (const component of found.components) {
      if (!used.has(component))
        problems.push(`${path.relative(ROOT, component)}: a component that no kustomization under k8s/ uses`);
    }
  }
  let total = 0;
  for (const dir of dirs) {
    const label = path.relative(ROOT, dir) || '.';
    const rendered = render(dir);
    if (rendered.error) {
      problems.push(`${label}: ${rendered.error}`);
      continue;
    }
    const { errors, counts } = await validateObjects(rendered.objects);
    total += rendered.objects.length;
    const summary = [...counts].map(([kind, count]) => `${kind} ${count}`).join(', ');
    console.log(`${label}: ${rendered.objects.length} objects, ${errors.length} errors (${summary})`);
    problems.push(...errors.map((message) => `${label}: ${message}`));
  }
  for (const problem of problems) console.error(`  ✗ ${problem}`);
  console.log(`k8s:validate: ${dirs.length} kustomizations, ${total} objects, ${problems.length} errors`);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
