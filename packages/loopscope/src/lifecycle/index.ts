export { start, stop, activeConfig, writeDump } from "./start.js";
export type { WrittenDump } from "./start.js";
export {
  dumpFilePaths,
  inspectFilePath,
  inspectRequestPath,
  onMarkerPath,
  recorderFilePath,
  recorderRequestPath,
  writeFileAtomic,
} from "./dump-files.js";
export { writeRecorderFile, writeRecorderFileSync } from "./recorder-file.js";
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
