// Share links: the script, and optionally the registry's history, each deflate-raw compressed
// and base64url encoded in the URL hash (#code=...&history=...). Pure apart from the standard
// CompressionStream (unit tested with node --test).
import type { HistoryExport } from './protocol';

/** Links longer than this are refused for the history: mail and chat clients cut long URLs. */
export const MAX_LINK_CHARS = 32_000;

/** A link the page cannot read; the message is for people, not a stack trace. */
export class DamagedLink extends Error {
  constructor(what: string) {
    super(
      `This link is damaged: its ${what} could not be read. It may have been cut short when it was copied.`,
    );
    this.name = 'DamagedLink';
  }
}

export interface Shared {
  script: string;
  /** The registry's history, when the link carries it. */
  history: unknown | null;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('not base64url');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

async function pack(text: string): Promise<string> {
  return toBase64Url(
    await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw')),
  );
}

async function unpack(field: string, what: string): Promise<string> {
  try {
    const bytes = await pipe(fromBase64Url(field), new DecompressionStream('deflate-raw'));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DamagedLink(what);
  }
}

/** A history as a link carries it (the worker packs the registry's, off the page's thread). */
export function packHistory(history: HistoryExport): Promise<string> {
  return pack(JSON.stringify(history));
}

/** The hash (without '#') of a link to `script`, with `history` when given (or already packed by
 * packHistory). */
export async function encodeLink(
  script: string,
  history: HistoryExport | string | null = null,
): Promise<string> {
  const code = `code=${await pack(script)}`;
  if (history === null) return code;
  return `${code}&history=${typeof history === 'string' ? history : await packHistory(history)}`;
}

/** What a location hash shares, or null if it shares nothing; throws DamagedLink. */
export async function decodeLink(hash: string): Promise<Shared | null> {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const code = params.get('code');
  if (code === null) return null;
  const script = await unpack(code, 'script');
  const packed = params.get('history');
  if (packed === null) return { script, history: null };
  const text = await unpack(packed, 'registry history');
  try {
    return { script, history: JSON.parse(text) };
  } catch {
    throw new DamagedLink('registry history');
  }
}
