import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * The cookie the dashboard's page carries the token in (HttpOnly, SameSite=Strict), named
 * after the port the server listens on: cookies do not tell ports apart, so with one name
 * the dashboard of a second process on the same host would replace the first one's token
 * in the browser, and the first page's next request would be refused.
 */
export function tokenCookieName(port: number | undefined): string {
  return `loopscope_token_${port ?? 0}`;
}

/**
 * Checks a request's token against the inspector's, in constant time: both are hashed
 * first, so neither their contents nor their lengths decide how long the comparison takes.
 */
export class TokenCheck {
  readonly #digest: Buffer;

  constructor(token: string) {
    this.#digest = digest(token);
  }

  matches(candidate: string | undefined): boolean {
    // An absent token is compared too: a missing one takes as long as a wrong one.
    return timingSafeEqual(this.#digest, digest(candidate ?? "")) && candidate !== undefined;
  }

  /**
   * The request's token, from `Authorization: Bearer` or the cookie of the port it came
   * in on; the header wins.
   */
  fromRequest(request: IncomingMessage): string | undefined {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return match?.[1];
    }
    return cookie(request.headers.cookie, tokenCookieName(request.socket.localPort));
  }

  allows(request: IncomingMessage): boolean {
    return this.matches(this.fromRequest(request));
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** One cookie's value from a `Cookie` header, if present once. */
export function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 4096) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The `Set-Cookie` value that keeps the token for the page of the server on `port`: not
 * readable by scripts, never sent cross-site.
 */
export function tokenCookie(token: string, port: number | undefined): string {
  return `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
