// History files and the sample data: Download, Upload and Reset sample data.
import { $, download, errorText } from './dom';
import type { HistoryExport } from './protocol';
import { call, mirror, refresh, replaceRegistry, reseed } from './state';
import { showNotice } from './status';

export function initFilesView() {
  $('download').addEventListener('click', async () => {
    try {
      const history = await call('export', {});
      download(`registry-history-v${history.head}.json`, JSON.stringify(history, null, 2) + '\n');
    } catch (e) {
      showNotice(`Download failed: ${errorText(e)}`);
    }
  });

  const uploadFile = $<HTMLInputElement>('upload-file');
  $('upload').addEventListener('click', () => uploadFile.click());
  uploadFile.addEventListener('change', async () => {
    const file = uploadFile.files?.[0];
    uploadFile.value = '';
    if (!file) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch (e) {
      showNotice(`${file.name} is not JSON: ${errorText(e)}`);
      return;
    }
    try {
      const list = await replaceRegistry(parsed as HistoryExport);
      await mirror.flush();
      showNotice(
        `Loaded ${file.name}: ${list.versions.length} versions, head v${list.head}.`,
        'info',
      );
    } catch (e) {
      showNotice(`${file.name} was refused: ${errorText(e)}`);
    }
    await refresh();
  });

  $('reset').addEventListener('click', async () => {
    if (!confirm('Replace the registry and its whole history with the sample data?')) return;
    try {
      await reseed();
      await mirror.flush();
      showNotice('The sample data is back.', 'info');
    } catch (e) {
      showNotice(`Reset failed: ${errorText(e)}`);
    }
    await refresh();
  });
}
