/**
 * Durations as Kubernetes prints them, shared by the embedded cluster's table output (AGE
 * columns) and the kubectl plugin, so both read exactly as a real API server and kubectl do.
 */

/**
 * k8s.io/apimachinery/pkg/util/duration.HumanDuration: ~2–3 significant figures (`59s`, `2m5s`,
 * `3h5m`, `2d2h`, `400d`, `2y70d`, `2y`, `9y`). Seconds are truncated toward zero as Go's
 * `int(d.Seconds())` does, so up to 2 s in the future (clock skew) still reads `0s`.
 */
export function humanDuration(ms: number): string {
  const s = Math.trunc(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}
