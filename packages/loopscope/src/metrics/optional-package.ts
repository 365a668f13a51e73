/**
 * The exporters' packages are optional peer dependencies: an application installs the one
 * it uses, and loopscope loads it only when that exporter is configured. Every exporter
 * module imports them as types only (`import type`); their code is reached through
 * {@link loadOptionalPackage} alone.
 *
 * The third optional peer, `@opentelemetry/api`, is never loaded: the application hands
 * over its own `MeterProvider`, so a type-only import is all loopscope needs.
 *
 * Loading is synchronous (`require` through `createRequire`), because the preload and
 * `start()` are: both CommonJS packages below load that way from an ES module.
 */
import { createRequire } from "node:module";
import type * as HotShots from "hot-shots";
import type * as PromClient from "prom-client";
import { LoopscopeError } from "../errors/index.js";

/** The packages loopscope may load, and what each one's module looks like. */
interface OptionalPackages {
  "hot-shots": typeof HotShots;
  "prom-client": typeof PromClient;
}

/** A package loopscope loads only when an exporter needs it. */
export type OptionalPackageName = keyof OptionalPackages;

/** What needs each package, as a missing-package message says it. */
const NEEDED_BY: Readonly<Record<OptionalPackageName, string>> = {
  "hot-shots": "StatsD metrics (LOOPSCOPE_STATSD, options.statsd)",
  "prom-client": "Prometheus metrics (LOOPSCOPE_PROMETHEUS, options.prometheus, options.registry)",
};

/**
 * An exporter is configured but its package is not installed. The message names the
 * package and the command that installs it, ready to print.
 * Code `LOOPSCOPE_ERR_MISSING_PACKAGE`.
 */
export class MissingPackageError extends LoopscopeError {
  /** The package to install, e.g. `hot-shots`. */
  readonly packageName: string;
  /** The command that installs it, e.g. `npm install hot-shots`. */
  readonly installCommand: string;

  constructor(packageName: OptionalPackageName, options?: ErrorOptions) {
    const installCommand = `npm install ${packageName}`;
    super(
      "LOOPSCOPE_ERR_MISSING_PACKAGE",
      `${NEEDED_BY[packageName]} need the package ${packageName}, which is not installed: run \`${installCommand}\``,
      options,
    );
    this.packageName = packageName;
    this.installCommand = installCommand;
  }
}

/** Resolves from loopscope's own folder: an application's top-level packages are found. */
const requireFromLoopscope = createRequire(import.meta.url);

/**
 * Load an exporter's package, once (Node caches it).
 *
 * @param from - where to resolve from; loopscope's own folder unless a test says otherwise.
 * @throws {@link MissingPackageError} when the package is not installed where loopscope
 *   can find it. A package that is found but fails to load throws its own error.
 */
export function loadOptionalPackage<Name extends OptionalPackageName>(
  name: Name,
  from: NodeJS.Require = requireFromLoopscope,
): OptionalPackages[Name] {
  // Resolve first: a MODULE_NOT_FOUND from inside an installed package is its own fault,
  // not a missing peer, and must not be reported as one.
  try {
    from.resolve(name);
  } catch (cause) {
    throw new MissingPackageError(name, { cause });
  }
  return from(name) as OptionalPackages[Name];
}
