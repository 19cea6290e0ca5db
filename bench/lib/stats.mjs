// Medians and spreads of repeated measurements.

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** { median, min, max, spread } of per-repetition seconds; spread = (max - min) / median. */
export function summarize(seconds) {
  const med = median(seconds);
  const min = Math.min(...seconds);
  const max = Math.max(...seconds);
  return { median: med, min, max, spread: (max - min) / med, n: seconds.length };
}
