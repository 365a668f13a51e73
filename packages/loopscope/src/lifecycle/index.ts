export { start, stop, activeConfig, writeDump } from "./start.js";
export type { WrittenDump } from "./start.js";
export {
  dumpFilePaths,
  inspectFilePath,
  inspectRequestPath,
  onMarkerPath,
  writeFileAtomic,
} from "./dump-files.js";
export { processEnvironment, processRealUid, processStartTicks } from "./proc.js";
export {
  checkRendezvousDir,
  ensureRendezvousDir,
  readRendezvousFile,
  rendezvousDir,
  rendezvousOwnerOf,
  UnsafeRendezvousError,
} from "./rendezvous.js";
export type { RendezvousOwner } from "./rendezvous.js";
