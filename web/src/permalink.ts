// The permalink: MapLibre keeps `map=zoom/lat/lon` in the URL hash; the front end adds its own
// parameters beside it (`hide=` layers switched off, `lang=`, `panel=`), so a copied URL opens
// the same view.

function parts(): string[] {
  return location.hash.replace(/^#/, "").split("&").filter(Boolean);
}

export function getParam(key: string): string | null {
  for (const p of parts()) {
    const i = p.indexOf("=");
    if ((i < 0 ? p : p.slice(0, i)) === key) return i < 0 ? "" : decodeURIComponent(p.slice(i + 1));
  }
  return null;
}

/** Sets (or with null removes) a hash parameter, keeping MapLibre's `map=` as it is. */
export function setParam(key: string, value: string | null): void {
  let found = false;
  const out: string[] = [];
  for (const p of parts()) {
    const k = p.split("=")[0];
    if (k === key) {
      found = true;
      if (value !== null) out.push(`${key}=${encodeURIComponent(value)}`);
    } else out.push(p);
  }
  if (!found && value !== null) out.push(`${key}=${encodeURIComponent(value)}`);
  const hash = out.length ? `#${out.join("&")}` : "";
  history.replaceState(history.state, "", `${location.pathname}${location.search}${hash}`);
}
