/**
 * The loader of the exporters' optional packages, resolving for real: from loopscope's own
 * folder (the repository installs both packages) and from temporary folders that have
 * no package, or a broken one.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LoopscopeError } from "../../src/errors/index.js";
import { MissingPackageError, loadOptionalPackage } from "../../src/metrics/optional-package.js";
import { checkExporterPackages } from "../../src/metrics/start.js";

describe("loadOptionalPackage", () => {
  let dir: string;
  /** Resolves from an empty folder: neither package can be found from there. */
  let fromEmpty: NodeJS.Require;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "loopscope-optional-"));
    mkdirSync(join(dir, "empty"));
    fromEmpty = createRequire(join(dir, "empty", "app.js"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the installed packages from loopscope's folder", () => {
    assert.equal(typeof loadOptionalPackage("hot-shots").StatsD, "function");
    assert.equal(typeof loadOptionalPackage("prom-client").Registry, "function");
  });

  for (const name of ["hot-shots", "prom-client"] as const) {
    it(`names ${name} and the command that installs it when it is missing`, () => {
      assert.throws(
        () => loadOptionalPackage(name, fromEmpty),
        (error: unknown) => {
          assert.ok(error instanceof MissingPackageError);
          assert.ok(error instanceof LoopscopeError);
          assert.equal(error.code, "LOOPSCOPE_ERR_MISSING_PACKAGE");
          assert.equal(error.name, "MissingPackageError");
          assert.equal(error.packageName, name);
          assert.equal(error.installCommand, `npm install ${name}`);
          assert.match(error.message, new RegExp(`package ${name}\\b`));
          assert.ok(error.message.includes(`npm install ${name}`), error.message);
          return true;
        },
      );
    });
  }

  it("lets an installed package's own failure through, not as a missing package", () => {
    // An installed hot-shots whose code needs a module that is not there.
    const broken = join(dir, "broken");
    mkdirSync(join(broken, "node_modules", "hot-shots"), { recursive: true });
    writeFileSync(
      join(broken, "node_modules", "hot-shots", "package.json"),
      JSON.stringify({ name: "hot-shots", version: "17.1.1", main: "index.js" }),
    );
    writeFileSync(
      join(broken, "node_modules", "hot-shots", "index.js"),
      'require("loopscope-test-no-such-module");\n',
    );
    const fromBroken = createRequire(join(broken, "app.js"));
    assert.throws(
      () => loadOptionalPackage("hot-shots", fromBroken),
      (error: unknown) => {
        assert.ok(!(error instanceof MissingPackageError));
        assert.equal((error as NodeJS.ErrnoException).code, "MODULE_NOT_FOUND");
        assert.match((error as Error).message, /loopscope-test-no-such-module/);
        return true;
      },
    );
  });
});

describe("checkExporterPackages", () => {
  let dir: string;
  let fromEmpty: NodeJS.Require;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "loopscope-exporters-"));
    fromEmpty = createRequire(join(dir, "app.js"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const missing = (name: string) => (error: unknown) =>
    error instanceof MissingPackageError && error.packageName === name;

  it("asks for no package when no exporter is configured", () => {
    checkExporterPackages({ metricsIntervalMs: 1000 }, fromEmpty);
  });

  it("asks for hot-shots for StatsD, unless the application brings its own client", () => {
    const statsd = { host: "127.0.0.1", port: 8125 };
    assert.throws(() => checkExporterPackages({ statsd }, fromEmpty), missing("hot-shots"));
    const { StatsD } = loadOptionalPackage("hot-shots");
    const client = new StatsD({ mock: true });
    checkExporterPackages({ statsd, statsdClient: client }, fromEmpty);
  });

  it("asks for prom-client for the /metrics server and for an application's registry", () => {
    const prometheus = { host: "127.0.0.1", port: 9464 };
    assert.throws(() => checkExporterPackages({ prometheus }, fromEmpty), missing("prom-client"));
    const { Registry } = loadOptionalPackage("prom-client");
    const registry = new Registry();
    assert.throws(() => checkExporterPackages({ registry }, fromEmpty), missing("prom-client"));
  });

  it("passes when the configured exporters' packages are installed", () => {
    checkExporterPackages({
      statsd: { host: "127.0.0.1", port: 8125 },
      prometheus: { host: "127.0.0.1", port: 9464 },
    });
  });
});
