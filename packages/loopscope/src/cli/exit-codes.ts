/** Exit codes of the `loopscope` command (documented in the README). */
export const EXIT = {
  OK: 0,
  /** Bad command line (commander uses 1 as well). */
  USAGE: 1,
  /** `dump`, `inspect`: no process with that pid. */
  NO_SUCH_PROCESS: 2,
  /** `dump`: the process exists but this user may not signal it. */
  NOT_PERMITTED: 3,
  /** `dump`: the process did not write a dump in time. */
  NO_ANSWER: 4,
  /** `dump`: the process does not look like it runs loopscope (SIGUSR2 would kill it). */
  NOT_LOOPSCOPE: 5,
  /**
   * `dump`: the process's rendezvous directory, or a file in it, is unsafe (a symbolic
   * link, someone else's, open to others): refused, nothing read.
   */
  UNSAFE_RENDEZVOUS: 6,
  /** `top`: the process speaks another version of the inspector's protocol. */
  PROTOCOL_MISMATCH: 7,
  /**
   * `run`: a bad `--slow-ms` or `LOOPSCOPE_*` value, or an exporter configured without its
   * package installed; Node's code for invalid arguments.
   */
  INVALID_ARGUMENTS: 9,
  /** `run`: the command could not be started. */
  COMMAND_NOT_FOUND: 127,
} as const;
