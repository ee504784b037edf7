import type { VersionInfo } from '@cairn/core/wire';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/** `2026-12-02 15:17` in the viewer's time zone; the full ISO time is the element's title. */
export function formatTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (x: number): string => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A version's aliases but its own `vN`, which every version has and says nothing. */
export function namedAliases(v: Pick<VersionInfo, 'aliases' | 'index'>): string[] {
  return v.aliases.filter((a) => a !== `v${v.index}`);
}

/** `entity/project/name:vN` */
export function qualified(
  v: Pick<VersionInfo, 'entity' | 'project' | 'collection' | 'index'>,
): string {
  return `${v.entity}/${v.project}/${v.collection}:v${v.index}`;
}
