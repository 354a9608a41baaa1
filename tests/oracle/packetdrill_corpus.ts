// The packetdrill corpus: the kit's own receive-side scripts (rxpath/) and scripts of
// google/packetdrill (upstream/, GPL-2.0, see its README) that the kit runs, kept in their
// folders so `../common/defaults.sh` resolves as it does in packetdrill's tree.

/** The corpus folder. */
export const PACKETDRILL_CORPUS = new URL("./packetdrill/", import.meta.url).pathname;

/** What the kernel did with one script. */
export interface PacketdrillRecord {
  /** packetdrill exited 0. */
  pass: boolean;
  /** packetdrill's message from the line naming the script on, or null. */
  error: string | null;
}

/**
 * Every script of the corpus, sorted.
 * @returns absolute paths
 */
export function corpusScripts(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}${e.name}`;
      if (e.isDirectory) walk(`${path}/`);
      else if (e.name.endsWith(".pkt")) out.push(path);
    }
  };
  walk(PACKETDRILL_CORPUS);
  return out.sort();
}
