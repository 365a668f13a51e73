export { topCommand } from "./top.js";
export type { TopOptions } from "./top.js";
