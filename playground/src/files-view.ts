// History files and the sample data: Download, Upload and Reset sample data.
import { $, download, errorText } from './dom';
import { call, refresh, replaceRegistry, reseed, state } from './state';
import { showNotice } from './status';

export function initFilesView() {
  $('download').addEventListener('click', async () => {
    try {
      const file = await call('exportFile', {}, 120_000);
      download(`registry-history-v${state.versions.head}.json`, file);
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
    try {
      // Read, parsed and checked in the worker: a large history never blocks the page.
      const list = await replaceRegistry(file);
      showNotice(
        `Loaded ${file.name}: ${list.versions.length} versions, head v${list.head}.`,
        'info',
      );
    } catch (e) {
      if (e instanceof Error && e.name === 'not_json')
        showNotice(`${file.name} is not JSON: ${e.message}`);
      else showNotice(`${file.name} was refused: ${errorText(e)}`);
    }
    await refresh();
  });

  $('reset').addEventListener('click', async () => {
    if (!confirm('Replace the registry and its whole history with the sample data?')) return;
    try {
      await reseed();
      showNotice('The sample data is back.', 'info');
    } catch (e) {
      showNotice(`Reset failed: ${errorText(e)}`);
    }
    await refresh();
  });
}
