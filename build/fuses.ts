// Electron fuses, defined once (build/fuses.json, in electron-builder's `electronFuses` names) and
// applied by both packagers: forge.config.ts flips them with @electron/fuses after packaging;
// electron-builder.yml repeats them under `electronFuses` (YAML cannot import; a test keeps the two equal).
//
// Why each: the agent runs in a utilityProcess, so ELECTRON_RUN_AS_NODE is never needed (runAsNode
// off); NODE_OPTIONS and --inspect would let anyone who can start the app inject code; the app loads
// only from its (integrity-checked) asar; pages come from phantom://app/, never file://.
import { FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';
import fuses from './fuses.json' with { type: 'json' };

export type FuseName = keyof typeof fuses;
export const FUSES: Readonly<Record<FuseName, boolean>> = fuses;

/** electron-builder's names → @electron/fuses' wire positions. */
const WIRE: Record<FuseName, FuseV1Options> = {
  runAsNode: FuseV1Options.RunAsNode,
  enableCookieEncryption: FuseV1Options.EnableCookieEncryption,
  enableNodeOptionsEnvironmentVariable: FuseV1Options.EnableNodeOptionsEnvironmentVariable,
  enableNodeCliInspectArguments: FuseV1Options.EnableNodeCliInspectArguments,
  enableEmbeddedAsarIntegrityValidation: FuseV1Options.EnableEmbeddedAsarIntegrityValidation,
  onlyLoadAppFromAsar: FuseV1Options.OnlyLoadAppFromAsar,
  loadBrowserProcessSpecificV8Snapshot: FuseV1Options.LoadBrowserProcessSpecificV8Snapshot,
  grantFileProtocolExtraPrivileges: FuseV1Options.GrantFileProtocolExtraPrivileges,
};

/** The config @electron/fuses' flipFuses takes; every fuse set, so a new Electron fuse fails loudly. */
export function flipFusesConfig(opts: { resetAdHocDarwinSignature?: boolean } = {}): FuseV1Config {
  const wire = Object.fromEntries((Object.keys(WIRE) as FuseName[]).map((name) => [WIRE[name], FUSES[name]])) as Record<FuseV1Options, boolean>;
  return { version: FuseVersion.V1, strictlyRequireAllFuses: true, ...(opts.resetAdHocDarwinSignature ? { resetAdHocDarwinSignature: true } : {}), ...wire };
}
