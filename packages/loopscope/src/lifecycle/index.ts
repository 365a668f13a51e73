export { start, stop, activeConfig, dump, writeDump } from "./start.js";
export type { WrittenDump } from "./start.js";
export { dumpFilePaths, onMarkerPath, writeFileAtomic } from "./dump-files.js";
