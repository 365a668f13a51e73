export { start, stop, activeConfig, dump, writeDump } from "./start.js";
export type { WrittenDump } from "./start.js";
export { dumpFilePaths, onMarkerPath, processStartTicks, writeFileAtomic } from "./dump-files.js";
