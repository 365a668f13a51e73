#!/usr/bin/env node
// Runs the repository's tests on every Node line pinned in node-versions.json.
// Plain ESM JavaScript, no build step; runs on the machine's Node 20. See docs/node-versions.md.
//
//   node scripts/node-matrix.mjs install [major...]   fetch the pinned Node binaries into the cache
//   node scripts/node-matrix.mjs test [major...]      `npm test` once per Node line, then a summary
//   node scripts/node-matrix.mjs list                 what is pinned and what is installed
//   node scripts/node-matrix.mjs bench [major...]     loopscope's cost benchmarks on each line

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const VERSIONS_FILE = path.join(ROOT, "node-versions.json");
const SYSTEM = "system";

const env = process.env;
const xdgCache =
  env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
    ? env.XDG_CACHE_HOME
    : path.join(os.homedir(), ".cache");
const CACHE_DIR = path.resolve(env.LOOPSCOPE_NODE_CACHE || path.join(xdgCache, "loopscope-node"));
const MIN_FREE_MB = positiveNumber("LOOPSCOPE_NODE_MIN_FREE_MB", 600);
const TIMEOUT_MIN = positiveNumber("LOOPSCOPE_NODE_TEST_TIMEOUT_MIN", 15);

const USAGE = `usage: node scripts/node-matrix.mjs <command> [major...]

commands:
  install [major...]  install the pinned Node versions that are missing from the cache
                      (default: every pinned version that is not the machine's own node)
  test [major...]     run \`npm test\` on each Node line in turn, then print one summary line per
                      line and a closing "N passed, N failed" (default: every pinned line);
                      a missing version is installed first
  list                show the pinned versions and where each one is
  bench [major...]    loopscope's cost benchmarks (debug, production, idle) on each line, as
                      one JSON object; each ratio is against its baseline in the same run

Pinned versions: node-versions.json. Cache: ${CACHE_DIR}

environment:
  LOOPSCOPE_NODE_CACHE              cache directory (default \${XDG_CACHE_HOME:-~/.cache}/loopscope-node)
  LOOPSCOPE_NODE_MIN_FREE_MB        free space required before an install (default 600)
  LOOPSCOPE_NODE_TEST_TIMEOUT_MIN   limit for one line's \`npm test\` (default 15)
  LOOPSCOPE_NODE_LOG_DIR            where the per-version logs go (default: a new temp directory)`;

class UserError extends Error {}

function positiveNumber(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`node-matrix: ${name} must be a positive number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

function readPins() {
  const raw = JSON.parse(fs.readFileSync(VERSIONS_FILE, "utf8"));
  const pins = new Map();
  for (const [major, version] of Object.entries(raw)) {
    if (major.startsWith("$")) continue;
    if (!/^\d+$/.test(major) || typeof version !== "string") {
      throw new UserError(`${VERSIONS_FILE}: bad entry ${JSON.stringify(major)}: ${version}`);
    }
    if (version !== SYSTEM && !version.startsWith(`${major}.`)) {
      throw new UserError(`${VERSIONS_FILE}: "${major}" is pinned to ${version}, not a ${major}.x`);
    }
    pins.set(major, version);
  }
  return pins;
}

function selectMajors(pins, args, fallback) {
  if (args.length === 0) return fallback;
  const majors = [];
  for (const arg of args) {
    const major = arg.replace(/^v/, "").replace(/\.x$/, "");
    if (!pins.has(major)) {
      throw new UserError(
        `no pinned Node ${arg}; pinned: ${[...pins.keys()].join(", ")} (${VERSIONS_FILE})`,
      );
    }
    if (!majors.includes(major)) majors.push(major);
  }
  return majors;
}

function which(command, skip = () => false) {
  for (const dir of (env.PATH || "").split(path.delimiter)) {
    if (!dir || skip(path.resolve(dir))) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `<node> -v`, or undefined when it does not run. */
function versionOf(nodeBin) {
  if (!fs.existsSync(nodeBin)) return undefined;
  const result = spawnSync(nodeBin, ["-v"], { encoding: "utf8", timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function insideCache(dir) {
  return dir === CACHE_DIR || dir.startsWith(CACHE_DIR + path.sep);
}

/** The machine's own `node` (first on PATH, ignoring the cache's bin directories). */
function systemNode(major) {
  const bin = which("node", insideCache);
  if (!bin) throw new UserError(`Node ${major} is the machine's own node, but no node is on PATH`);
  const version = versionOf(bin);
  if (!version)
    throw new UserError(`Node ${major} is the machine's own node, but ${bin} -v failed`);
  if (!version.startsWith(`v${major}.`)) {
    throw new UserError(
      `Node ${major} is the machine's own node (node-versions.json: "${major}": "${SYSTEM}"), ` +
        `but ${bin} is ${version}, not v${major}.x: put a Node ${major} first on PATH ` +
        `or pin an exact ${major}.x version in node-versions.json`,
    );
  }
  return { bin, version: version.slice(1), system: true };
}

function findNpmCli() {
  const candidates = [];
  if (env.npm_execpath) candidates.push(env.npm_execpath);
  const npm = which("npm", insideCache);
  if (npm) {
    const real = fs.realpathSync(npm);
    candidates.push(real, path.join(path.dirname(real), "npm-cli.js"));
  }
  candidates.push(
    path.join(path.dirname(process.execPath), "../lib/node_modules/npm/bin/npm-cli.js"),
  );
  const found = candidates.find((c) => path.basename(c) === "npm-cli.js" && fs.existsSync(c));
  if (!found) throw new UserError("cannot find npm (its bin/npm-cli.js) from PATH");
  return found;
}

function packageName() {
  if (process.platform !== "linux" && process.platform !== "darwin") {
    throw new UserError(`no pinned Node binaries for ${process.platform}; use Linux or macOS`);
  }
  return `node-${process.platform}-${process.arch}`;
}

const mb = (bytes) => `${Math.round(bytes / 2 ** 20)} MB`;
const seconds = (ms) => `${Math.round(ms / 1000)} s`;

async function freeBytes(dir) {
  const stats = await fsp.statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

/** Leftovers of an install that was killed midway. */
async function removeStaleTemps() {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await fsp.readdir(CACHE_DIR)) {
    if (!name.startsWith(".tmp-")) continue;
    const dir = path.join(CACHE_DIR, name);
    const stats = await fsp.stat(dir).catch(() => undefined);
    if (stats && stats.mtimeMs < hourAgo) await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Makes sure the pinned `version` is in the cache; returns its node binary. */
async function ensureInstalled(version, npmCli, say) {
  const dir = path.join(CACHE_DIR, version);
  const bin = path.join(dir, "bin", "node");
  const expected = `v${version}`;
  if (fs.existsSync(dir)) {
    const found = versionOf(bin);
    if (found === expected) {
      say(`node ${version}: present in ${dir}, reused`);
      return bin;
    }
    say(`node ${version}: ${dir} is broken (bin/node -v: ${found ?? "failed"}); reinstalling`);
    const trash = `${dir}.trash-${process.pid}`;
    await fsp.rename(dir, trash);
    await fsp.rm(trash, { recursive: true, force: true });
  }

  await fsp.mkdir(CACHE_DIR, { recursive: true });
  await removeStaleTemps();
  const free = await freeBytes(CACHE_DIR);
  const needed = MIN_FREE_MB * 2 ** 20;
  if (free < needed) {
    throw new UserError(
      `not enough disk space to install Node ${version}: ${CACHE_DIR} has ${mb(free)} free, ` +
        `${MIN_FREE_MB} MB needed (about 50 MB download + 190 MB unpacked, with margin); ` +
        `free some space or point LOOPSCOPE_NODE_CACHE at a larger filesystem`,
    );
  }

  const spec = `${packageName()}@${version}`;
  const started = Date.now();
  // Inside the cache, so that the final rename is atomic (same filesystem).
  const tmp = await fsp.mkdtemp(path.join(CACHE_DIR, `.tmp-${version}-`));
  try {
    say(`node ${version}: npm pack ${spec} (${mb(free)} free in ${CACHE_DIR})`);
    const pack = spawnSync(
      process.execPath,
      [npmCli, "pack", spec, "--pack-destination", tmp, "--json", "--loglevel=error"],
      { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    if (pack.status !== 0) {
      throw new UserError(`npm pack ${spec} failed (exit code ${pack.status ?? pack.signal})`);
    }
    let tarball;
    try {
      tarball = path.join(tmp, JSON.parse(pack.stdout)[0].filename);
    } catch {
      tarball = path.join(tmp, (await fsp.readdir(tmp)).find((f) => f.endsWith(".tgz")) ?? "");
    }
    if (!fs.existsSync(tarball)) throw new UserError(`npm pack ${spec} left no tarball in ${tmp}`);
    const size = (await fsp.stat(tarball)).size;

    const unpacked = path.join(tmp, "node");
    await fsp.mkdir(unpacked);
    const tar = spawnSync("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (tar.error) throw new UserError(`cannot run tar: ${tar.error.message}`);
    if (tar.status !== 0) throw new UserError(`tar -xzf ${tarball} failed (exit ${tar.status})`);
    await fsp.rm(tarball);

    const got = versionOf(path.join(unpacked, "bin", "node"));
    if (got !== expected) {
      throw new UserError(`${spec} unpacked, but its bin/node -v says ${got ?? "nothing"}`);
    }
    try {
      await fsp.rename(unpacked, dir);
    } catch (error) {
      // Another install won the race: fine if what it left works.
      if (versionOf(bin) !== expected) throw error;
    }
    say(
      `node ${version}: installed into ${dir} (${mb(size)} download, ${seconds(Date.now() - started)})`,
    );
    return bin;
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

async function commandInstall(args) {
  const pins = readPins();
  const pinned = [...pins.keys()].filter((m) => pins.get(m) !== SYSTEM);
  const majors = selectMajors(pins, args, pinned);
  const npmCli = findNpmCli();
  let failed = 0;
  for (const major of majors) {
    const version = pins.get(major);
    try {
      if (version === SYSTEM) {
        const node = systemNode(major);
        console.log(`node ${major}: the machine's own node, ${node.bin} (v${node.version})`);
      } else {
        await ensureInstalled(version, npmCli, (line) => console.log(line));
      }
    } catch (error) {
      failed++;
      const label = version === SYSTEM ? `node ${major} (machine's own)` : `node ${version}`;
      console.error(
        `${label}: ${error instanceof UserError ? "" : "install failed: "}${error.message}`,
      );
    }
  }
  return failed === 0 ? 0 : 1;
}

function commandList() {
  const pins = readPins();
  console.log(`pinned in ${VERSIONS_FILE}; cache ${CACHE_DIR}`);
  for (const [major, version] of pins) {
    if (version === SYSTEM) {
      let where;
      try {
        const node = systemNode(major);
        where = `${node.bin} (v${node.version})`;
      } catch (error) {
        where = `PROBLEM: ${error.message}`;
      }
      console.log(`  ${major}: machine's own node, ${where}`);
    } else {
      const dir = path.join(CACHE_DIR, version);
      const state =
        versionOf(path.join(dir, "bin", "node")) === `v${version}` ? dir : "not installed";
      console.log(`  ${major}: ${version}, ${state}`);
    }
  }
  return 0;
}

/** Lines of the spec reporter's failure details repeated in the summary, per Node line. */
const FAILURE_LINES_KEPT = 150;
/** node:test's spec reporter closes each run with lines like `ℹ pass 212`. */
const SUMMARY_LINE =
  /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)\s*$/;
// npm's banner before a script: `> loopscope@0.1.0 test`
const NPM_BANNER = /^> (\S+?)@\S* (\S+)\s*$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function workspaceNames() {
  const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  return (root.workspaces ?? []).map(
    (ws) => JSON.parse(fs.readFileSync(path.join(ROOT, ws, "package.json"), "utf8")).name,
  );
}

/** Environment of one line's `npm test`: its bin directory first, no traces of an outer npm run. */
function childEnv(binDir) {
  const out = {
    ...env,
    PATH: [binDir, ...(env.PATH ?? "").split(path.delimiter)].join(path.delimiter),
  };
  for (const key of Object.keys(out)) {
    if (
      /^npm_(lifecycle|package)_/.test(key) ||
      /^npm_config_(user_agent|call|node_gyp|npm_version)$/.test(key) ||
      ["npm_node_execpath", "npm_execpath", "npm_command", "NODE"].includes(key)
    ) {
      delete out[key];
    }
  }
  return out;
}

/** Runs `npm test` on `node`, streaming its output to the console and to `logFile`. */
function runNpmTest(node, npmCli, logFile, workspaces) {
  return new Promise((resolve) => {
    const log = fs.createWriteStream(logFile);
    const counts = new Map();
    const failures = [];
    let inFailures = false;
    let current;
    const parse = (line) => {
      line = line.replace(ANSI, "");
      // The spec reporter's closing "✖ failing tests:" section, kept (bounded) so the
      // summary at the end of the output can repeat it where a reader of the tail sees it.
      // It follows the counts, and ends where npm says the script failed.
      if (/^✖ failing tests:/.test(line)) inFailures = true;
      else if (/^npm (error|ERR!)/.test(line) || NPM_BANNER.test(line)) inFailures = false;
      if (inFailures && failures.length < FAILURE_LINES_KEPT) failures.push(line);
      const banner = NPM_BANNER.exec(line);
      if (banner) {
        current = banner[2] === "test" && workspaces.includes(banner[1]) ? banner[1] : undefined;
        return;
      }
      const summary = SUMMARY_LINE.exec(line);
      if (summary && current) {
        if (!counts.has(current)) counts.set(current, {});
        // A workspace may run its tests in more than one node:test run: the counts add up.
        const count = counts.get(current);
        count[summary[1]] = (count[summary[1]] ?? 0) + Number(summary[2]);
      }
    };
    const started = Date.now();
    const child = spawn(node.bin, [npmCli, "test"], {
      cwd: ROOT,
      env: childEnv(path.dirname(node.bin)),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout or Ctrl-C stops the whole tree
    });
    const pump = (stream, sink) => {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (text) => {
        sink.write(text);
        log.write(text);
        const lines = (partial + text).split("\n");
        partial = lines.pop();
        lines.forEach(parse);
      });
      stream.on("end", () => partial && parse(partial));
    };
    pump(child.stdout, process.stdout);
    pump(child.stderr, process.stderr);

    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let timedOut = false;
    let interrupted;
    const timer = setTimeout(() => {
      timedOut = true;
      const note = `\nnode-matrix: npm test on node ${node.version} passed ${TIMEOUT_MIN} min; stopping it\n`;
      process.stderr.write(note);
      log.write(note);
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), 10_000).unref();
    }, TIMEOUT_MIN * 60_000);
    const onSignal = (signal) => {
      interrupted = signal;
      killGroup(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    child.on("error", (error) => {
      log.write(`\nnode-matrix: ${error.message}\n`);
      console.error(`node-matrix: cannot run npm test on node ${node.version}: ${error.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      log.end();
      resolve({
        code,
        signal,
        timedOut,
        interrupted,
        counts,
        failures,
        ms: Date.now() - started,
      });
    });
  });
}

/** Checks that npm runs on `node` and that its scripts' `node` is `node` too. */
function probe(node, npmCli) {
  const result = spawnSync(node.bin, [npmCli, "exec", "--offline", "-c", "node -v"], {
    cwd: ROOT,
    env: childEnv(path.dirname(node.bin)),
    encoding: "utf8",
    timeout: 60_000,
  });
  const seen = (result.stdout ?? "").trim().split("\n").pop();
  if (result.status !== 0 || seen !== `v${node.version}`) {
    throw new UserError(
      `npm on node ${node.version} does not run its scripts on that node ` +
        `(\`npm exec -c "node -v"\` exit ${result.status ?? result.signal}, printed ${JSON.stringify(seen)}` +
        `${result.stderr ? `, stderr: ${result.stderr.trim().split("\n").pop()}` : ""})`,
    );
  }
}

function summarize(result, workspaces) {
  const parts = [];
  let pass = 0;
  let fail = 0;
  let ok = result.code === 0 && !result.signal && !result.timedOut;
  const reasons = [];
  for (const ws of workspaces) {
    const c = result.counts.get(ws);
    if (!c || c.pass === undefined || c.fail === undefined) {
      ok = false;
      parts.push(`${ws} no test summary`);
      continue;
    }
    const cancelled = c.cancelled ?? 0;
    const skipped = c.skipped ?? 0;
    pass += c.pass;
    fail += c.fail + cancelled;
    if (c.fail + cancelled > 0) ok = false;
    // Skips are said: each must be a feature this Node lacks (docs/node-versions.md's support table).
    parts.push(
      `${ws} ${c.pass} passed ${c.fail} failed` +
        `${cancelled ? ` ${cancelled} cancelled` : ""}${skipped ? ` ${skipped} skipped` : ""}`,
    );
  }
  if (result.timedOut) reasons.push(`timed out after ${TIMEOUT_MIN} min`);
  else if (result.interrupted) reasons.push(`interrupted by ${result.interrupted}`);
  else if (result.signal) reasons.push(`killed by ${result.signal}`);
  else if (result.code !== 0) reasons.push(`npm test exit code ${result.code}`);
  const tail = reasons.length ? ` (${reasons.join(", ")})` : "";
  return { ok, pass, fail, text: `${parts.join(", ")}, ${seconds(result.ms)}${tail}` };
}

/** The binary of one pinned line: the machine's own, or the cached one (installed if missing). */
async function resolveNode(major, pinned, npmCli) {
  if (pinned === SYSTEM) return systemNode(major);
  const bin = await ensureInstalled(pinned, npmCli, (l) => console.error(`node-matrix: ${l}`));
  return { bin, version: pinned, system: false };
}

/**
 * What loopscope costs, on each line: each bench compares against its own baseline in the
 * same run (debug mode against off, the preload against none), so the ratios of two lines
 * can be set side by side even where the lines' own speeds differ.
 */
const BENCHES = [
  ["debug.ts", "--messages", "100000", "--rounds", "5"],
  ["production.ts", "--rounds", "3"],
  ["idle.ts", "--rounds", "3"],
];

async function commandBench(args) {
  const pins = readPins();
  const majors = selectMajors(pins, args, [...pins.keys()]);
  const npmCli = findNpmCli();
  const benchDir = path.join(ROOT, "packages", "loopscope", "bench");
  const results = [];
  for (const major of majors) {
    const node = await resolveNode(major, pins.get(major), npmCli);
    for (const [script, ...benchArgs] of BENCHES) {
      const run = spawnSync(
        node.bin,
        ["--import", "tsx", path.join(benchDir, script), ...benchArgs],
        {
          cwd: path.join(ROOT, "packages", "loopscope"),
          env: childEnv(path.dirname(node.bin)),
          encoding: "utf8",
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      if (run.status !== 0) {
        throw new UserError(`node ${node.version} ${script} failed (${run.status}): ${run.stderr}`);
      }
      // Each bench prints its JSON object last; a line opening with "{" starts it.
      const start = run.stdout.startsWith("{") ? 0 : run.stdout.lastIndexOf("\n{") + 1;
      const result = {
        node: node.version,
        bench: script,
        result: JSON.parse(run.stdout.slice(start)),
      };
      console.error(`node-matrix: node ${node.version} ${script} done`);
      results.push(result);
    }
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), results }));
  return 0;
}

async function commandTest(args) {
  const pins = readPins();
  const majors = selectMajors(pins, args, [...pins.keys()]);
  const npmCli = findNpmCli();
  const workspaces = workspaceNames();
  const logDir = env.LOOPSCOPE_NODE_LOG_DIR
    ? path.resolve(env.LOOPSCOPE_NODE_LOG_DIR)
    : await fsp.mkdtemp(path.join(os.tmpdir(), "loopscope-node-matrix-"));
  await fsp.mkdir(logDir, { recursive: true });
  console.log(`node-matrix: npm test on Node ${majors.join(", ")}; logs in ${logDir}`);

  const summaries = [];
  let totalPass = 0;
  let totalFail = 0;
  let interrupted;
  for (const major of majors) {
    const pinned = pins.get(major);
    let label = pinned === SYSTEM ? `node ${major} (machine's own)` : `node ${pinned}`;
    let node;
    try {
      node = await resolveNode(major, pinned, npmCli);
      if (node.system) label = `node ${node.version} (machine's own)`;
      probe(node, npmCli);
    } catch (error) {
      console.error(`node-matrix: ${label}: ${error.message}`);
      summaries.push({ ok: false, line: `${label}: ERROR ${error.message}` });
      continue;
    }

    const logFile = path.join(logDir, `node-${node.version}.log`);
    const bar = "=".repeat(20);
    console.log(`\n${bar} ${label}: ${node.bin}, npm test (log ${logFile}) ${bar}`);
    const result = await runNpmTest(node, npmCli, logFile, workspaces);
    const d = summarize(result, workspaces);
    totalPass += d.pass;
    totalFail += d.fail;
    const line = `${label}: ${d.ok ? "PASS" : "FAIL"}  ${d.text}`;
    console.log(`${bar} ${line} ${bar}`);
    summaries.push({ ok: d.ok, line, failures: result.failures });
    if (result.interrupted) {
      interrupted = result.interrupted;
      break;
    }
  }

  const failedLines = summaries.filter((s) => !s.ok).length;
  const details = summaries
    .filter((s) => s.failures?.length)
    .flatMap((s) => ["", `node-matrix: failures of ${s.line.split(":")[0]}:`, ...s.failures]);
  const lines = [
    ...details,
    "",
    `node-matrix summary (logs in ${logDir}):`,
    ...summaries.map((s) => s.line),
    ...majors.slice(summaries.length).map((m) => `node ${m}: not run (interrupted)`),
  ];
  if (interrupted) lines.push(`node-matrix: interrupted by ${interrupted}`);
  else if (failedLines)
    lines.push(`node-matrix: ${failedLines} of ${majors.length} Node lines failed`);
  else lines.push(`node-matrix: all ${majors.length} Node lines passed`);
  lines.push(`${totalPass} passed, ${totalFail} failed`);
  await fsp.writeFile(
    path.join(logDir, "summary.txt"),
    lines.slice(details.length + 1).join("\n") + "\n",
  );
  console.log(lines.join("\n"));
  if (interrupted) return 130;
  return failedLines || summaries.length < majors.length ? 1 : 0;
}

async function main(argv) {
  const [command, ...args] = argv;
  switch (command) {
    case "install":
      return commandInstall(args);
    case "test":
      return commandTest(args);
    case "list":
      return commandList();
    case "bench":
      return commandBench(args);
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(command ? `node-matrix: unknown command ${command}\n` : "");
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(
      `node-matrix: ${error instanceof UserError ? error.message : (error.stack ?? error)}`,
    );
    process.exitCode = 1;
  },
);
