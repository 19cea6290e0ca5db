// Medians and spreads of repeated measurements, and ratios of paired ones.

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

/**
 * a ÷ b from paired times: a[k] and b[k] were taken in the same round, close together, so their
 * ratio cancels the machine's drift between rounds. { median, min, max, n } of the per-round
 * ratios.
 */
export function pairedRatio(a, b) {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`paired ratio of ${a.length} and ${b.length} rounds`);
  }
  const ratios = a.map((x, k) => x / b[k]);
  return {
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    n: a.length,
  };
}
