/**
 * What installing loopscope costs an application: the built package, packed by npm and
 * installed from the tarball into an empty project, once alone (the exporters' packages
 * are optional peers) and once with those peers (`hot-shots`, `prom-client`, at the
 * ranges loopscope declares), as every user got them when they were dependencies.
 * Prints one JSON object: bytes of node_modules (`du -sb`), packages installed, packages
 * with install scripts and npm's node-gyp warnings, for each, and the ratio alone / with.
 * Run: node --import tsx bench/install-size.ts   (needs `npm run build`, and the npm
 * registry or npm's cache)
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { assertBuilt, packageDir } from "../test/fixtures/child-process.js";
import { installIntoEmptyProject, packLoopscope } from "../test/fixtures/packed-install.js";

const run = promisify(execFile);

interface Install {
  /** What was installed into the empty project. */
  readonly installed: readonly string[];
  /** `du -sb node_modules`: apparent size in bytes. */
  readonly bytes: number;
  /** Packages in node_modules (the lockfile's entries). */
  readonly packages: number;
  /** Packages that want to run an install script (a native build: node-gyp). */
  readonly installScripts: readonly string[];
  /** npm's lines naming node-gyp. */
  readonly nodeGypWarnings: readonly string[];
}

interface LockFile {
  readonly packages: Record<string, { readonly version?: string; hasInstallScript?: boolean }>;
}

/** The exporters' packages at the ranges loopscope's package.json declares for them. */
function exporterPeers(): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    peerDependencies: Record<string, string>;
  };
  return ["hot-shots", "prom-client"].map((name) => {
    const range = manifest.peerDependencies[name];
    if (range === undefined) throw new Error(`${name} is not a peer dependency of loopscope`);
    return `${name}@${range}`;
  });
}

async function measure(dir: string, tarball: string, extra: readonly string[]): Promise<Install> {
  mkdirSync(dir);
  const npmOutput = await installIntoEmptyProject(dir, [tarball, ...extra]);
  const { stdout } = await run("du", ["-sb", "node_modules"], { cwd: dir });
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8")) as LockFile;
  const entries = Object.entries(lock.packages).filter(([path]) => path !== "");
  const nameOf = (path: string, version: string | undefined): string =>
    `${path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length)}@${version ?? "?"}`;
  return {
    installed: ["loopscope (packed)", ...extra],
    bytes: Number(stdout.split(/\s/)[0]),
    packages: entries.length,
    installScripts: entries
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path, entry]) => nameOf(path, entry.version)),
    nodeGypWarnings: npmOutput
      .split("\n")
      .filter((line) => line.includes("node-gyp"))
      .map((line) => line.trim()),
  };
}

assertBuilt();
const dir = mkdtempSync(join(tmpdir(), "loopscope-install-size-"));
try {
  const tarball = await packLoopscope(dir);
  const { stdout: npmVersion } = await run("npm", ["--version"]);
  const withPeers = await measure(join(dir, "with-peers"), tarball, exporterPeers());
  const alone = await measure(join(dir, "alone"), tarball, []);
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  const result = {
    bench: "loopscope install size",
    date: new Date().toISOString(),
    node: process.version,
    npm: npmVersion.trim(),
    note: "an empty project installing the packed loopscope; ratio = alone / with the exporters' packages",
    withExporterPackages: withPeers,
    alone,
    ratio: {
      bytes: round(alone.bytes / withPeers.bytes),
      packages: round(alone.packages / withPeers.packages),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
