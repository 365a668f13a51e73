/**
 * The exporters' packages are optional peers: loopscope packed and installed into an empty
 * project has neither hot-shots nor prom-client. Configuring StatsD or Prometheus there
 * stops each entry (the preload, `loopscope run`, `start()`) with the package and the
 * command that installs it; without them the program runs as usual. One pack and one
 * install (from the npm registry, or its cache) serve every case.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertBuilt, cleanEnv, run } from "../fixtures/child-process.js";
import { installIntoEmptyProject, packLoopscope } from "../fixtures/packed-install.js";

/** Node's exit code for invalid arguments, the preload's and `run`'s for a bad configuration. */
const EXIT_INVALID_ARGUMENTS = 9;

describe("the exporters' packages, missing from an application's install", () => {
  let dir: string;
  let project: string;

  before(
    async () => {
      assertBuilt();
      dir = mkdtempSync(join(tmpdir(), "loopscope-peers-"));
      project = join(dir, "project");
      mkdirSync(project);
      const tarball = await packLoopscope(dir);
      await installIntoEmptyProject(project, [tarball]);
      writeFileSync(join(project, "app.mjs"), 'console.log("app ran");\n');
      // The library entry: start() with StatsD configured in code.
      writeFileSync(
        join(project, "start-statsd.mjs"),
        [
          'import { MissingPackageError, activeConfig, start } from "loopscope";',
          "try {",
          '  start({ statsd: { host: "127.0.0.1", port: 8125 } });',
          '  console.log("started");',
          "} catch (error) {",
          "  const missing = error instanceof MissingPackageError;",
          "  const { code, message } = error;",
          "  console.log(JSON.stringify({ missing, code, message, on: activeConfig() !== undefined }));",
          "}",
          "",
        ].join("\n"),
      );
    },
    { timeout: 300_000 },
  );
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("installs neither hot-shots nor prom-client with loopscope", () => {
    assert.ok(existsSync(join(project, "node_modules", "loopscope", "package.json")));
    assert.ok(!existsSync(join(project, "node_modules", "hot-shots")));
    assert.ok(!existsSync(join(project, "node_modules", "prom-client")));
  });

  const preload = (env: NodeJS.ProcessEnv) =>
    run(process.execPath, ["--import", "loopscope/register", "app.mjs"], {
      cwd: project,
      env: cleanEnv(env),
    });

  it("runs the program with the preload when no exporter is configured", async () => {
    const result = await preload({});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "app ran\n");
    assert.doesNotMatch(result.stderr, /not installed/);
  });

  for (const [variable, value, packageName] of [
    ["LOOPSCOPE_STATSD", "127.0.0.1:8125", "hot-shots"],
    ["LOOPSCOPE_PROMETHEUS", "127.0.0.1:9464", "prom-client"],
  ] as const) {
    it(`stops the program with the preload when ${variable} is set: ${packageName} is missing`, async () => {
      const result = await preload({ [variable]: value });
      assert.equal(result.code, EXIT_INVALID_ARGUMENTS, result.stderr);
      assert.equal(result.stdout, "", "the application must not run");
      assert.match(result.stderr, new RegExp(`^loopscope: .*package ${packageName}\\b`));
      assert.ok(result.stderr.includes(`npm install ${packageName}`), result.stderr);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    });
  }

  it("stops `loopscope run` before it starts the command", async () => {
    const bin = join(project, "node_modules", ".bin", "loopscope");
    const result = await run(bin, ["run", "--", process.execPath, "app.mjs"], {
      cwd: project,
      env: cleanEnv({ LOOPSCOPE_STATSD: "127.0.0.1:8125" }),
    });
    assert.equal(result.code, EXIT_INVALID_ARGUMENTS, result.stderr);
    assert.equal(result.stdout, "", "the command must not run");
    assert.match(result.stderr, /^loopscope: .*package hot-shots\b/);
    assert.ok(result.stderr.includes("npm install hot-shots"), result.stderr);
  });

  it("makes start() throw MissingPackageError, with nothing turned on", async () => {
    const result = await run(process.execPath, ["start-statsd.mjs"], {
      cwd: project,
      env: cleanEnv(),
    });
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as {
      missing: boolean;
      code: string;
      message: string;
      on: boolean;
    };
    assert.equal(outcome.missing, true);
    assert.equal(outcome.code, "LOOPSCOPE_ERR_MISSING_PACKAGE");
    assert.ok(outcome.message.includes("npm install hot-shots"), outcome.message);
    assert.equal(outcome.on, false);
  });
});
