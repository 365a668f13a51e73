/**
 * The main thread's state as Linux's `/proc` shows it, read by the watchdog thread without
 * the main thread's help: the system call it waits in (`/proc/self/task/<tid>/syscall`),
 * and how much CPU it has had (`.../schedstat`). That is how the watchdog thread watches an
 * idle loop without a heartbeat (`worker.ts`, idle mode).
 *
 * The files are opened once and re-read in place (`readSync` at position 0 is a `pread`,
 * which makes `/proc` format the file again): about 3 µs a read. Used only by the watchdog
 * thread, so it imports nothing of loopscope.
 */
import { closeSync, openSync, readSync } from "node:fs";

/**
 * The system calls a libuv loop waits in, by `process.arch`: the epoll family. Another
 * architecture has no idle mode (its numbers are not known here).
 */
const LOOP_WAIT_SYSCALLS: Readonly<Record<string, readonly number[]>> = {
  x64: [232 /* epoll_wait */, 281 /* epoll_pwait */, 441 /* epoll_pwait2 */],
  arm64: [22 /* epoll_pwait */, 441 /* epoll_pwait2 */],
};

/** The CPU a thread has had, from `schedstat`; a holder re-filled in place (no garbage). */
export interface CpuReading {
  /** Nanoseconds on a CPU. */
  cpuNs: number;
  /** Nanoseconds runnable but waiting for a CPU (the run queue). */
  waitNs: number;
  /** Times it was put on a CPU: it changes whenever the thread wakes. */
  slices: number;
}

/** A zeroed {@link CpuReading}. */
export function cpuReading(): CpuReading {
  return { cpuNs: 0, waitNs: 0, slices: 0 };
}

/** What the thread is doing, from `syscall`. */
export type SyscallState =
  /** On a CPU (or runnable). */
  | { readonly kind: "running" }
  /** Waiting in system call `nr`; `fd` and `buffer` are its first two arguments. */
  | { readonly kind: "syscall"; readonly nr: number; readonly fd: number; readonly buffer: number }
  /** Blocked outside a system call (`-1`: a page fault, stopped), or unreadable. */
  | { readonly kind: "other" };

/**
 * Parse `schedstat` ("<cpu ns> <wait ns> <slices>\n") from `bytes[0..length)` into `into`.
 * Returns false when the text is not that.
 */
export function parseSchedstat(bytes: Uint8Array, length: number, into: CpuReading): boolean {
  let field = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= length; i++) {
    const byte = i < length ? bytes[i]! : 0x20;
    if (byte >= 0x30 && byte <= 0x39) {
      value = value * 10 + (byte - 0x30);
      digits++;
    } else if (byte === 0x20 || byte === 0x0a) {
      if (digits === 0) continue;
      if (field === 0) into.cpuNs = value;
      else if (field === 1) into.waitNs = value;
      else if (field === 2) into.slices = value;
      field++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return field >= 3;
}

/**
 * Parse `syscall`: `running`, `-1 <sp> <pc>` (blocked outside a system call), or
 * `<nr> <arg0> <arg1> ... <sp> <pc>` with the arguments in hexadecimal.
 */
export function parseSyscall(text: string): SyscallState {
  if (text.startsWith("running")) return { kind: "running" };
  const [nr, arg0, arg1] = text.trim().split(" ");
  const number = Number(nr);
  if (!Number.isInteger(number) || number < 0 || arg0 === undefined || arg1 === undefined) {
    return { kind: "other" };
  }
  return { kind: "syscall", nr: number, fd: Number(arg0), buffer: Number(arg1) };
}

/**
 * Where the main thread's own loop waits: the epoll call, its epoll fd, and the address of
 * the events array it passes, which libuv keeps on the stack of `uv__io_poll`. The main
 * loop's `uv_run` is the outermost frame of the main thread, so of every epoll wait the
 * thread is seen in, its loop's has the highest address: a loop run inside a callback
 * (`execSync` runs one, on an epoll fd of its own) is deeper, at a lower address, even if
 * it reuses an fd number. Learnt from what the thread is seen waiting in, so no fd number
 * is assumed; a deeper wait never replaces a shallower one.
 */
export class LoopWait {
  readonly #syscalls: readonly number[];
  #fd = -1;
  #buffer = -1;
  #seen = 0;

  constructor(syscalls: readonly number[]) {
    this.#syscalls = syscalls;
  }

  /** The wait was seen twice: the thread's idle state can be told from others. */
  get known(): boolean {
    return this.#seen >= 2;
  }

  /**
   * Whether `state` is the main loop's wait, learning from it: an epoll wait shallower than
   * the one known (or the first one) becomes the loop's.
   */
  isLoopWait(state: SyscallState): boolean {
    if (state.kind !== "syscall" || !this.#syscalls.includes(state.nr)) return false;
    if (state.buffer > this.#buffer) {
      this.#fd = state.fd;
      this.#buffer = state.buffer;
      this.#seen = 1;
      return true;
    }
    if (state.buffer === this.#buffer && state.fd === this.#fd) {
      this.#seen++;
      return true;
    }
    return false;
  }
}

/**
 * Parse the count of voluntary context switches (times the thread went to sleep: in a
 * system call, a page fault, a stop) from `status`; `undefined` when it is not there.
 */
export function parseVoluntarySwitches(text: string): number | undefined {
  const match = /\nvoluntary_ctxt_switches:\s*(\d+)/.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** Reads one thread's `/proc` state, files held open. */
export class ThreadProbe {
  readonly #syscallFd: number;
  readonly #schedstatFd: number;
  readonly #statusFd: number;
  readonly #buffer = Buffer.alloc(256);
  /** The epoll system calls of this architecture. */
  readonly loopWaitSyscalls: readonly number[];

  private constructor(
    syscallFd: number,
    schedstatFd: number,
    statusFd: number,
    syscalls: readonly number[],
  ) {
    this.#syscallFd = syscallFd;
    this.#schedstatFd = schedstatFd;
    this.#statusFd = statusFd;
    this.loopWaitSyscalls = syscalls;
  }

  /**
   * The probe of thread `tid` of this process (the main thread's id is `process.pid`), or
   * `undefined` where it cannot work: not Linux, an architecture whose epoll calls are not
   * known, or files that cannot be opened or do not read as expected.
   */
  static open(tid: number, arch: string = process.arch): ThreadProbe | undefined {
    const syscalls = LOOP_WAIT_SYSCALLS[arch];
    if (syscalls === undefined || process.platform !== "linux") return undefined;
    let syscallFd = -1;
    let schedstatFd = -1;
    let statusFd = -1;
    try {
      syscallFd = openSync(`/proc/self/task/${tid}/syscall`, "r");
      schedstatFd = openSync(`/proc/self/task/${tid}/schedstat`, "r");
      try {
        statusFd = openSync(`/proc/self/task/${tid}/status`, "r");
      } catch {
        // Without it, no block's start is taken from its CPU time alone.
      }
      const probe = new ThreadProbe(syscallFd, schedstatFd, statusFd, syscalls);
      // Read both once: a file that exists but cannot be read (no CONFIG_SCHEDSTATS, a
      // sandbox that hides it) throws or parses as nothing.
      const text = readFileAt(syscallFd);
      if (!probe.readCpu(cpuReading()) || !/^(running|-?\d+ )/.test(text)) {
        probe.close();
        return undefined;
      }
      return probe;
    } catch {
      for (const fd of [syscallFd, schedstatFd, statusFd]) if (fd >= 0) closeQuietly(fd);
      return undefined;
    }
  }

  /** Fill `into` with the thread's CPU so far; false if it cannot be read. */
  readCpu(into: CpuReading): boolean {
    try {
      const length = readSync(this.#schedstatFd, this.#buffer, 0, this.#buffer.length, 0);
      return parseSchedstat(this.#buffer, length, into);
    } catch {
      return false;
    }
  }

  /** What the thread is doing now. */
  readSyscall(): SyscallState {
    try {
      const length = readSync(this.#syscallFd, this.#buffer, 0, this.#buffer.length, 0);
      return parseSyscall(this.#buffer.toString("latin1", 0, length));
    } catch {
      return { kind: "other" };
    }
  }

  /**
   * Times the thread went to sleep so far (`voluntary_ctxt_switches`, from `status`, about
   * 8 µs a read): unchanged since it woke, it has been on a CPU or waiting for one ever
   * since. `undefined` when it cannot be read.
   */
  readVoluntarySwitches(): number | undefined {
    if (this.#statusFd < 0) return undefined;
    try {
      return parseVoluntarySwitches(readFileAt(this.#statusFd, 4096));
    } catch {
      return undefined;
    }
  }

  close(): void {
    closeQuietly(this.#syscallFd);
    closeQuietly(this.#schedstatFd);
    if (this.#statusFd >= 0) closeQuietly(this.#statusFd);
  }
}

function readFileAt(fd: number, size = 256): string {
  const buffer = Buffer.alloc(size);
  return buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
