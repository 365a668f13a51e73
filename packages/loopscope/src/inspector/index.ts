export { startInspector, InspectorError } from "./inspector.js";
export type { Inspector, InspectorOptions } from "./inspector.js";
