export const gib = (mib: number): string => `${(mib / 1024).toFixed(mib < 10 * 1024 ? 1 : 0)} GiB`;

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} days`;
}

export const ROLE_LABELS = {
  unjoined: 'Not joined to a grid',
  member: 'Member',
  'super-peer': 'Super-peer of its sub-grid',
  'region-peer': 'Region peer',
} as const;
