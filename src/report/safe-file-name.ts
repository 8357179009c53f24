/**
 * File names made from user strings (checkpoint labels, metric paths, run names): lowercase
 * [a-z0-9-] only, so that a name is the same on every file system and safe in a URL, and unique
 * within one report by a numeric suffix.
 */

/** `label` as a file-name part: lowercase, runs of other characters as one '-', at most 60 characters. */
export function safeName(label: string): string {
  const name = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents off: Ü → u
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return name === '' ? 'unnamed' : name;
}

/** Hands out file names, each unique: `stem.ext`, then `stem-2.ext`, `stem-3.ext`, … on collision. */
export function fileNamer(taken: Iterable<string> = []): (stem: string, ext: string) => string {
  const used = new Set(taken);
  return (stem, ext) => {
    let name = `${stem}.${ext}`;
    for (let i = 2; used.has(name); i++) name = `${stem}-${i}.${ext}`;
    used.add(name);
    return name;
  };
}
