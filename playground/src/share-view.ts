// The Share panel (a link to the script, optionally with the registry's history), and opening
// links: on load and when a link is pasted into the open tab (hashchange).
import { $, download, errorText, h } from './dom';
import type { HistoryExport } from './protocol';
import { openScript } from './script-tabs';
import { DamagedLink, decodeLink, encodeLink, MAX_LINK_CHARS, type Shared } from './share';
import { call, enterScratch, refresh } from './state';
import { setStatus, showNotice } from './status';

const sharePanel = $('share-panel');
const shareUrl = $<HTMLInputElement>('share-url');
const shareStatus = $('share-status');
const withHistory = $<HTMLInputElement>('share-history');
const tooLong = $('share-too-long');

let getScript: () => string;

function base(): string {
  return `${location.origin}${location.pathname}${location.search}`;
}

async function copy(url: string) {
  try {
    await navigator.clipboard.writeText(url);
    shareStatus.textContent = 'Link copied to the clipboard.';
  } catch {
    shareStatus.textContent = 'Copy the link above (the clipboard is not available here).';
  }
}

/** Builds the link; a history too long for a link is left out, and the panel says why. */
async function buildLink(): Promise<string> {
  const script = getScript();
  tooLong.hidden = true;
  if (!withHistory.checked) return `${base()}#${await encodeLink(script)}`;
  // Exported, written and compressed in the worker: a large history never blocks the page.
  const { packed, head } = await call('packHistory', {}, 120_000);
  const full = `${base()}#${await encodeLink(script, packed)}`;
  if (full.length <= MAX_LINK_CHARS) return full;
  const save = h('button', { type: 'button', id: 'share-download' }, 'Download the history');
  save.addEventListener('click', async () => {
    try {
      download(`registry-history-v${head}.json`, await call('exportFile', {}, 120_000));
    } catch (e) {
      showNotice(`Download failed: ${errorText(e)}`);
    }
  });
  tooLong.replaceChildren(
    `The registry's history does not fit in a link: compressed, the link would be ${full.length.toLocaleString('en')} characters, ` +
      `and links longer than ${MAX_LINK_CHARS.toLocaleString('en')} get cut by mail and chat. This link has the script only; ` +
      'send the history as a file (Upload loads it). ',
    save,
  );
  tooLong.hidden = false;
  return `${base()}#${await encodeLink(script)}`;
}

async function showLink() {
  const url = await buildLink();
  shareUrl.value = url;
  shareUrl.dataset.builds = String(Number(shareUrl.dataset.builds ?? 0) + 1);
  shareUrl.focus();
  shareUrl.select();
  await copy(url);
}

/** Opens what a location hash shares: its script in a new tab, its registry on a scratch copy.
 * Other hashes (the skip link's #editor) are left alone. */
export async function openLink(hash: string) {
  let shared: Shared | null;
  try {
    shared = await decodeLink(hash);
  } catch (e) {
    showNotice(
      e instanceof DamagedLink ? e.message : `The link could not be opened: ${errorText(e)}`,
    );
    dropHash();
    return;
  }
  if (!shared) return;
  openScript(shared.script, 'Shared script');
  // The hash has done its job; drop it so a reload keeps later edits.
  dropHash();
  if (shared.history === null) {
    setStatus('Opened a shared script in a new tab (your registry is unchanged).');
    return;
  }
  try {
    await enterScratch('link', shared.history as HistoryExport);
    setStatus('Opened a shared script and its registry (your own registry is kept aside).');
  } catch (e) {
    showNotice(`The link's registry was refused (${errorText(e)}); your registry is unchanged.`);
  }
  await refresh();
}

function dropHash() {
  history.replaceState(null, '', location.pathname + location.search);
}

export function initShareView(script: () => string) {
  getScript = script;
  $('share').addEventListener('click', async () => {
    sharePanel.hidden = false;
    await showLink();
  });
  withHistory.addEventListener('change', () => void showLink());
  $('share-copy').addEventListener('click', async () => {
    shareUrl.select();
    await copy(shareUrl.value);
  });
  const closeShare = () => {
    sharePanel.hidden = true;
    $('share').focus();
  };
  $('share-close').addEventListener('click', closeShare);
  sharePanel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeShare();
  });
  addEventListener('hashchange', () => void openLink(location.hash));
}
