#!/usr/bin/env node
// The `mayhem` command. A committed shim rather than dist/ itself, so that npm links the
// bin at install time, before the `prepare` script has built dist/.
try {
  await import("../dist/cli/main.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist")) {
    process.stderr.write("mayhem: not built yet: run `npm run build` at the repository root\n");
    process.exit(1);
  }
  throw error;
}
